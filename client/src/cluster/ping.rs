//! rados_ping_monitor before rados_connect: librados pings from a
//! throwaway messenger, naming the monitors of mon_host "noname-a",
//! "noname-b", ... in order.

use std::collections::VecDeque;
use std::sync::mpsc::{self, SyncSender};
use std::time::Duration;

use rbdrs_core::mon::client::MonAction;
use rbdrs_core::mon::messages::msg_type;
use rbdrs_core::mon::monmap::mon_entity_addr;
use rbdrs_core::mon::tell::{decode_pong, OneShot, Outcome};
use rbdrs_core::mon::ConnId as MonConn;
use rbdrs_core::msgr::Message;
use rbdrs_core::time::Instant;
use rbdrs_core::Errno;

use super::net::{ConnId, Driven, Io, NetThread};
use crate::config::Config;

struct Pinger {
    shot: Option<OneShot>,
    io: VecDeque<Io>,
    answer: SyncSender<Result<String, Errno>>,
}

impl Pinger {
    fn settle(&mut self, outcome: Outcome) {
        let Some(outcome) = outcome else { return };
        if let Some(shot) = self.shot.take() {
            self.io.push_back(Io::Close { conn: shot.id.0 });
        }
        let _ = self.answer.try_send(outcome.and_then(|m| decode_pong(&m.front)));
    }
}

impl Driven for Pinger {
    type Command = ();

    fn handle_command(&mut self, _: (), _: Instant) {}

    fn handle_connected(&mut self, _: ConnId, _: Instant) {
        if let Some(shot) = &mut self.shot {
            shot.handle_connected();
        }
    }

    fn handle_bytes(&mut self, _: ConnId, bytes: &[u8], now: Instant) {
        let outcome = self.shot.as_mut().and_then(|s| s.handle_bytes(bytes, now));
        self.settle(outcome);
    }

    fn handle_closed(&mut self, _: ConnId, _: Instant) {
        let outcome = self.shot.as_mut().and_then(OneShot::handle_closed);
        self.settle(outcome);
    }

    fn handle_timeout(&mut self, now: Instant) {
        let outcome = self.shot.as_mut().and_then(|s| s.handle_timeout(now));
        self.settle(outcome);
    }

    fn poll_io(&mut self) -> Option<Io> {
        if let Some(shot) = &mut self.shot {
            while let Some(bytes) = shot.poll_transmit() {
                self.io.push_back(Io::Send { conn: shot.id.0, bytes });
            }
        }
        self.io.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.shot.as_ref().map(OneShot::poll_timeout)
    }

    fn finished(&self) -> bool {
        self.shot.is_none() && self.io.is_empty()
    }
}

/// The monitor of mon_host that `mon_id` names, as librados's initial
/// monmap names them.
fn pick(count: usize, mon_id: &str) -> Result<usize, Errno> {
    if mon_id.is_empty() {
        return Err(Errno::EINVAL);
    }
    let name = if mon_id.starts_with("noname-") { mon_id.to_string() } else { format!("noname-{mon_id}") };
    (0..count.min(26)).find(|i| name == format!("noname-{}", char::from(b'a' + *i as u8))).ok_or(Errno::ENOENT)
}

/// Pings monitor `mon_id` of `config`'s mon_host; its JSON answer.
pub fn ping_unconnected(config: &Config, mon_id: &str) -> Result<String, Errno> {
    let mon = super::mon_config(config)?;
    let addr = mon_entity_addr(mon.mon_addrs[pick(mon.mon_addrs.len(), mon_id)?]);
    let timeout = mon.timeout;
    let ping = Message::new(msg_type::PING, 1, 1, Vec::new());
    let random = crate::runtime::random_u64();
    let (shot, connect) = OneShot::open(
        MonConn(1),
        &addr,
        &mon,
        random as u32,
        ping,
        msg_type::PING,
        Instant::ZERO + timeout,
        Instant::ZERO,
        random,
    )?;
    let MonAction::Connect { conn, addr } = connect else { return Err(Errno::EIO) };
    let (tx, rx) = mpsc::sync_channel(1);
    let pinger = Pinger { shot: Some(shot), io: VecDeque::from([Io::Connect { conn: conn.0, addr }]), answer: tx };
    let net = NetThread::start(pinger)?;
    let answer = rx.recv_timeout(timeout + Duration::from_secs(1)).unwrap_or(Err(Errno::ETIMEDOUT));
    net.shutdown();
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitors_are_named_as_librados_names_mon_host() {
        assert_eq!(pick(2, "a"), Ok(0));
        assert_eq!(pick(2, "noname-b"), Ok(1));
        assert_eq!(pick(2, "c"), Err(Errno::ENOENT));
        assert_eq!(pick(2, ""), Err(Errno::EINVAL));
    }
}
