//! The network thread: one per cluster handle, however many OSDs and images
//! are open. It owns every socket, waits in poll(2) for bytes, writability,
//! commands from other threads or the next deadline, and hands all of it to
//! a sans-IO state machine ([`Driven`]) that decides what to do.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rbdrs_core::time::Instant;
use rbdrs_core::Errno;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};

use crate::sys::{self, PollFd, POLLERR, POLLHUP, POLLIN, POLLOUT};

/// A socket the state machine names.
pub type ConnId = u64;

/// What the state machine asks of the network.
#[derive(Debug)]
pub enum Io {
    Connect { conn: ConnId, addr: SocketAddr },
    Send { conn: ConnId, bytes: Vec<u8> },
    Close { conn: ConnId },
}

/// A sans-IO protocol stack the network thread drives.
pub trait Driven: Send + 'static {
    type Command: Send + 'static;

    fn handle_command(&mut self, command: Self::Command, now: Instant);
    fn handle_connected(&mut self, conn: ConnId, now: Instant);
    fn handle_bytes(&mut self, conn: ConnId, bytes: &[u8], now: Instant);
    /// The connection failed, was refused or closed by the peer.
    fn handle_closed(&mut self, conn: ConnId, now: Instant);
    /// A deadline from `poll_timeout` passed; it may have moved since, so a
    /// call that comes early must be harmless.
    fn handle_timeout(&mut self, now: Instant);
    fn poll_io(&mut self) -> Option<Io>;
    fn poll_timeout(&self) -> Option<Instant>;
    /// Whether the thread should exit.
    fn finished(&self) -> bool {
        false
    }
}

struct Sock {
    stream: TcpStream,
    connecting: bool,
    out: Vec<u8>,
    sent: usize,
}

/// The handle other threads hold: commands in, a wake-up, and shutdown.
pub struct NetThread<C> {
    commands: Mutex<Sender<Msg<C>>>,
    waker: UnixStream,
    thread: Mutex<Option<JoinHandle<()>>>,
}

enum Msg<C> {
    Command(C),
    Shutdown,
}

impl<C: Send + 'static> NetThread<C> {
    pub fn start<D: Driven<Command = C>>(driven: D) -> Result<Arc<Self>, Errno> {
        let (tx, rx) = mpsc::channel();
        let (wake_rx, wake_tx) = UnixStream::pair().map_err(|_| Errno::EIO)?;
        wake_rx.set_nonblocking(true).map_err(|_| Errno::EIO)?;
        wake_tx.set_nonblocking(true).map_err(|_| Errno::EIO)?;
        let thread = std::thread::Builder::new()
            .name("rbdrs-net".into())
            .spawn(move || Loop::new(driven, rx, wake_rx).run())
            .map_err(|_| Errno::EAGAIN)?;
        Ok(Arc::new(NetThread { commands: Mutex::new(tx), waker: wake_tx, thread: Mutex::new(Some(thread)) }))
    }

    pub fn send(&self, command: C) -> Result<(), Errno> {
        self.commands.lock().map_err(|_| Errno::EIO)?.send(Msg::Command(command)).map_err(|_| Errno::ESHUTDOWN)?;
        self.wake();
        Ok(())
    }

    fn wake(&self) {
        // A full pipe already holds a wake-up; nothing else can go wrong that
        // the loop would not see anyway.
        let _ = (&self.waker).write(&[1]);
    }

    pub fn shutdown(&self) {
        if let Ok(commands) = self.commands.lock() {
            let _ = commands.send(Msg::Shutdown);
        }
        self.wake();
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl<C> Drop for NetThread<C> {
    fn drop(&mut self) {
        if let Ok(commands) = self.commands.lock() {
            let _ = commands.send(Msg::Shutdown);
        }
        let _ = (&self.waker).write(&[1]);
    }
}

struct Loop<D: Driven> {
    driven: D,
    commands: Receiver<Msg<D::Command>>,
    waker: UnixStream,
    socks: HashMap<ConnId, Sock>,
    epoch: std::time::Instant,
    buf: Vec<u8>,
}

/// Written bytes are dropped from a socket's buffer once this many pile up.
const COMPACT_AT: usize = 1 << 20;

/// Reads per socket per wake-up: enough for a 4 MiB object in a few rounds
/// without starving other sockets.
const READ_CHUNK: usize = 256 << 10;

impl<D: Driven> Loop<D> {
    fn new(driven: D, commands: Receiver<Msg<D::Command>>, waker: UnixStream) -> Self {
        Loop {
            driven,
            commands,
            waker,
            socks: HashMap::new(),
            epoch: std::time::Instant::now(),
            buf: vec![0; READ_CHUNK],
        }
    }

    fn now(&self) -> Instant {
        Instant::from_nanos(u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    fn run(mut self) {
        loop {
            if !self.drain_commands() || self.driven.finished() {
                return;
            }
            self.do_io();
            // A deadline that IO during the wait moved is seen next turn.
            let deadline = self.driven.poll_timeout();
            let timeout = deadline.map(|at| at.saturating_duration_since(self.now()));
            self.wait(timeout.unwrap_or(Duration::from_secs(1)).min(Duration::from_secs(1)));
            let now = self.now();
            if deadline.is_some_and(|at| at <= now) {
                self.driven.handle_timeout(now);
            }
        }
    }

    /// False on shutdown.
    fn drain_commands(&mut self) -> bool {
        let mut byte = [0u8; 64];
        while (&self.waker).read(&mut byte).is_ok_and(|n| n > 0) {}
        loop {
            match self.commands.try_recv() {
                Ok(Msg::Command(c)) => {
                    let now = self.now();
                    self.driven.handle_command(c, now);
                }
                Ok(Msg::Shutdown) | Err(mpsc::TryRecvError::Disconnected) => return false,
                Err(mpsc::TryRecvError::Empty) => return true,
            }
        }
    }

    /// Carries out what the state machine asked until it asks nothing more.
    fn do_io(&mut self) {
        while let Some(io) = self.driven.poll_io() {
            match io {
                Io::Connect { conn, addr } => match start_connect(addr) {
                    Ok(stream) => {
                        self.socks.insert(conn, Sock { stream, connecting: true, out: Vec::new(), sent: 0 });
                    }
                    Err(_) => {
                        let now = self.now();
                        self.driven.handle_closed(conn, now);
                    }
                },
                Io::Send { conn, bytes } => {
                    if let Some(sock) = self.socks.get_mut(&conn) {
                        // Drop what was written, or a socket that is never
                        // quite drained would grow its buffer without bound.
                        if sock.sent > 0 && (sock.sent == sock.out.len() || sock.sent >= COMPACT_AT) {
                            sock.out.drain(..sock.sent);
                            sock.sent = 0;
                        }
                        if sock.out.is_empty() {
                            sock.out = bytes;
                        } else {
                            sock.out.extend_from_slice(&bytes);
                        }
                        if !sock.connecting {
                            self.flush(conn);
                        }
                    }
                }
                Io::Close { conn } => {
                    self.socks.remove(&conn);
                }
            }
        }
    }

    /// Writes what the socket takes now; a write error closes it.
    fn flush(&mut self, conn: ConnId) {
        let Some(sock) = self.socks.get_mut(&conn) else {
            return;
        };
        while sock.sent < sock.out.len() {
            match sock.stream.write(&sock.out[sock.sent..]) {
                Ok(0) => return self.closed(conn),
                Ok(n) => sock.sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return self.closed(conn),
            }
        }
        sock.out.clear();
        sock.sent = 0;
    }

    fn closed(&mut self, conn: ConnId) {
        if self.socks.remove(&conn).is_some() {
            let now = self.now();
            self.driven.handle_closed(conn, now);
        }
    }

    fn wait(&mut self, timeout: Duration) {
        let mut fds = Vec::with_capacity(self.socks.len() + 1);
        let mut ids = Vec::with_capacity(self.socks.len());
        fds.push(PollFd::new(self.waker.as_fd(), POLLIN));
        for (id, sock) in &self.socks {
            let mut events = POLLIN;
            if sock.connecting || sock.sent < sock.out.len() {
                events |= POLLOUT;
            }
            fds.push(PollFd::new(sock.stream.as_fd(), events));
            ids.push(*id);
        }
        if sys::poll(&mut fds, timeout) == 0 {
            return;
        }
        for (fd, conn) in fds[1..].iter().zip(ids) {
            if fd.revents() == 0 {
                continue;
            }
            self.ready(conn, fd.revents());
        }
    }

    fn ready(&mut self, conn: ConnId, revents: i16) {
        let Some(sock) = self.socks.get_mut(&conn) else {
            return;
        };
        if sock.connecting {
            if revents & (POLLOUT | POLLERR | POLLHUP) == 0 {
                return;
            }
            let failed = revents & (POLLERR | POLLHUP) != 0
                || !matches!(sock.stream.take_error(), Ok(None))
                || sock.stream.peer_addr().is_err();
            if failed {
                return self.closed(conn);
            }
            sock.connecting = false;
            let now = self.now();
            self.driven.handle_connected(conn, now);
            self.do_io();
            self.flush(conn);
            return;
        }
        if revents & POLLOUT != 0 {
            self.flush(conn);
        }
        if revents & (POLLIN | POLLERR | POLLHUP) != 0 {
            self.read(conn);
        }
    }

    fn read(&mut self, conn: ConnId) {
        let Some(sock) = self.socks.get_mut(&conn) else {
            return;
        };
        match sock.stream.read(&mut self.buf) {
            Ok(0) => self.closed(conn),
            Ok(n) => {
                let now = self.now();
                let bytes = &self.buf[..n];
                self.driven.handle_bytes(conn, bytes, now);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(_) => self.closed(conn),
        }
    }
}

/// A non-blocking connect: the loop learns the outcome from poll.
fn start_connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(sys::EINPROGRESS) || e.kind() == ErrorKind::WouldBlock => {}
        Err(e) => return Err(e),
    }
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::sync::mpsc::SyncSender;

    /// Connects to each address it is told, sends "ping", reports what it
    /// hears back and whether connects fail.
    struct Pinger {
        next: ConnId,
        io: Vec<Io>,
        events: SyncSender<String>,
        deadline: Option<Instant>,
    }

    impl Driven for Pinger {
        type Command = SocketAddr;

        fn handle_command(&mut self, addr: SocketAddr, now: Instant) {
            self.next += 1;
            self.io.push(Io::Connect { conn: self.next, addr });
            self.deadline = Some(now + Duration::from_millis(50));
        }
        fn handle_connected(&mut self, conn: ConnId, _now: Instant) {
            self.io.push(Io::Send { conn, bytes: b"ping".to_vec() });
        }
        fn handle_bytes(&mut self, conn: ConnId, bytes: &[u8], _now: Instant) {
            let _ = self.events.send(format!("{conn}:{}", String::from_utf8_lossy(bytes)));
            self.io.push(Io::Close { conn });
        }
        fn handle_closed(&mut self, conn: ConnId, _now: Instant) {
            let _ = self.events.send(format!("{conn}:closed"));
        }
        fn handle_timeout(&mut self, _now: Instant) {
            self.deadline = None;
            let _ = self.events.send("timeout".into());
        }
        fn poll_io(&mut self) -> Option<Io> {
            (!self.io.is_empty()).then(|| self.io.remove(0))
        }
        fn poll_timeout(&self) -> Option<Instant> {
            self.deadline
        }
    }

    #[test]
    fn connects_sends_receives_times_out_and_sees_refusals() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"ping");
            s.write_all(b"pong").unwrap();
        });
        let (tx, rx) = mpsc::sync_channel(16);
        let net = NetThread::start(Pinger { next: 0, io: Vec::new(), events: tx, deadline: None }).unwrap();
        net.send(addr).unwrap();
        let wait = || rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(wait(), "1:pong");
        assert_eq!(wait(), "timeout");
        server.join().unwrap();
        // Nobody listens there any more.
        net.send(addr).unwrap();
        assert_eq!(wait(), "2:closed");
        net.shutdown();
    }
}
