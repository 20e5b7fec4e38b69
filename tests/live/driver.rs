//! Blocking drivers for the sans-IO MonClient and Connection: plain
//! TcpStreams with short read timeouts, polled in turn. For tests only.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rbdrs_core::auth::AuthClient;
use rbdrs_core::encoding::UtcTime;
use rbdrs_core::mon::{ConnId, MonAction, MonClient, MonEvent};
use rbdrs_core::msgr::{ConnEvent, Connection};
use rbdrs_core::time::Instant;

/// A monotonic clock that starts at `Instant::ZERO`, and the wall time then.
pub struct Clock {
    start: std::time::Instant,
    pub wall_base: UtcTime,
}

impl Clock {
    pub fn new() -> Clock {
        let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        Clock { start: std::time::Instant::now(), wall_base: UtcTime::new(unix.as_secs() as u32, unix.subsec_nanos()) }
    }

    pub fn now(&self) -> Instant {
        Instant::from_nanos(self.start.elapsed().as_nanos() as u64)
    }
}

fn read_some(sock: &mut TcpStream) -> Result<Option<Vec<u8>>, ()> {
    let mut buf = vec![0u8; 64 * 1024];
    match sock.read(&mut buf) {
        Ok(0) => Err(()),
        Ok(n) => Ok(Some(buf[..n].to_vec())),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
        Err(_) => Err(()),
    }
}

fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let sock = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    sock.set_read_timeout(Some(Duration::from_millis(5)))?;
    sock.set_nodelay(true)?;
    Ok(sock)
}

pub struct MonDriver {
    pub mc: MonClient,
    pub clock: Clock,
    socks: HashMap<ConnId, TcpStream>,
}

impl MonDriver {
    pub fn new(mc: MonClient, clock: Clock) -> MonDriver {
        MonDriver { mc, clock, socks: HashMap::new() }
    }

    fn do_actions(&mut self) {
        while let Some(action) = self.mc.poll_action() {
            let now = self.clock.now();
            match action {
                MonAction::Connect { conn, addr } => match connect(addr) {
                    Ok(sock) => {
                        self.socks.insert(conn, sock);
                        self.mc.handle_connected(conn, now);
                    }
                    Err(_) => self.mc.handle_closed(conn, now),
                },
                MonAction::Send { conn, bytes } => {
                    let ok = self.socks.get_mut(&conn).is_some_and(|s| s.write_all(&bytes).is_ok());
                    if !ok {
                        self.socks.remove(&conn);
                        self.mc.handle_closed(conn, now);
                    }
                }
                MonAction::Close { conn } => {
                    self.socks.remove(&conn);
                }
            }
        }
    }

    /// Runs until an event matches `want` (returned) or `limit` passes.
    pub fn run_until(&mut self, limit: Duration, mut want: impl FnMut(&MonEvent) -> bool) -> Option<MonEvent> {
        let end = std::time::Instant::now() + limit;
        while std::time::Instant::now() < end {
            self.do_actions();
            while let Some(ev) = self.mc.poll_event() {
                eprintln!("mon event: {}", short(&ev));
                if want(&ev) {
                    return Some(ev);
                }
            }
            let ids: Vec<ConnId> = self.socks.keys().copied().collect();
            for id in ids {
                let Some(sock) = self.socks.get_mut(&id) else {
                    continue;
                };
                match read_some(sock) {
                    Ok(Some(bytes)) => self.mc.handle_bytes(id, &bytes, self.clock.now()),
                    Ok(None) => {}
                    Err(()) => {
                        self.socks.remove(&id);
                        self.mc.handle_closed(id, self.clock.now());
                    }
                }
                self.do_actions();
            }
            let now = self.clock.now();
            if self.mc.poll_timeout().is_some_and(|t| t <= now) {
                self.mc.handle_timeout(now);
            }
            if self.socks.is_empty() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        None
    }
}

fn short(ev: &MonEvent) -> String {
    match ev {
        MonEvent::OsdMaps(m) => format!(
            "OsdMaps {}..{} ({} inc, {} full, oldest {}, newest {})",
            m.first,
            m.last,
            m.incrementals.len(),
            m.maps.len(),
            m.oldest,
            m.newest
        ),
        other => format!("{other:?}"),
    }
}

/// One Connection over one socket.
pub struct ConnDriver {
    pub conn: Connection,
    pub clock: Clock,
    sock: TcpStream,
}

impl ConnDriver {
    pub fn connect(addr: SocketAddr, conn: Connection, clock: Clock) -> std::io::Result<ConnDriver> {
        Ok(ConnDriver { conn, clock, sock: connect(addr)? })
    }

    /// Runs until an event matches `want`, the connection fails, or `limit`.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut auth: Option<&mut AuthClient>,
        mut want: impl FnMut(&ConnEvent, &Connection) -> bool,
    ) -> Option<ConnEvent> {
        let end = std::time::Instant::now() + limit;
        while std::time::Instant::now() < end {
            while let Some(bytes) = self.conn.poll_transmit() {
                if self.sock.write_all(&bytes).is_err() {
                    self.conn.handle_closed();
                }
            }
            while let Some(ev) = self.conn.poll_event() {
                eprintln!("conn event: {ev:?}");
                if want(&ev, &self.conn) || matches!(ev, ConnEvent::Failed(_)) {
                    return Some(ev);
                }
            }
            match read_some(&mut self.sock) {
                Ok(Some(bytes)) => self.conn.handle_input(&bytes, self.clock.now(), auth.as_deref_mut()),
                Ok(None) => {}
                Err(()) => self.conn.handle_closed(),
            }
            let now = self.clock.now();
            if self.conn.poll_timeout().is_some_and(|t| t <= now) {
                self.conn.handle_timeout(now);
            }
        }
        None
    }
}
