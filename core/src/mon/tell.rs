//! One-shot monitor connections, as MonClient opens them for a command to
//! one named monitor (an MCommand, since Octopus) and for MPing: a
//! connection of their own, authenticated afresh, that carries one message
//! and waits for one reply.

use alloc::string::String;
use alloc::vec::Vec;

use super::client::{ConnId, MonAction, MonClientConfig};
use super::monmap::{socket_addr, MonMap};
use crate::auth::AuthClient;
use crate::encoding::Decoder;
use crate::msgr::{ConnAuth, ConnEvent, Connection, ConnectionConfig, EntityAddr, EntityType, Message};
use crate::time::Instant;
use crate::Errno;

/// Which monitor: librados reads a name that is all digits as a rank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MonRef {
    Rank(i64),
    Name(String),
}

impl MonRef {
    /// As rados_mon_command_target reads it (strtol: leading blanks and a
    /// sign allowed, nothing after the digits). A negative rank is a name.
    pub fn parse(text: &str) -> MonRef {
        match text.trim_start().parse::<i64>() {
            Ok(rank) if rank >= 0 => MonRef::Rank(rank),
            _ => MonRef::Name(text.into()),
        }
    }

    /// The monitor's address, or the error and status MonClient gives.
    pub fn resolve<'a>(&self, map: &'a MonMap) -> Result<&'a EntityAddr, (Errno, &'static str)> {
        let mon = match self {
            MonRef::Rank(rank) => {
                let rank = usize::try_from(*rank).unwrap_or(usize::MAX);
                map.mons.get(rank).ok_or((Errno::ENOENT, "mon rank dne"))?
            }
            MonRef::Name(name) => map.mons.iter().find(|m| m.name == *name).ok_or((Errno::ENOENT, "mon dne"))?,
        };
        mon.msgr2_addr().ok_or((Errno::ENOENT, "mon dne"))
    }
}

/// One connection, one message, one reply.
pub struct OneShot {
    pub id: ConnId,
    conn: Connection,
    auth: AuthClient,
    connected: bool,
    reply_type: u16,
    deadline: Instant,
}

impl core::fmt::Debug for OneShot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OneShot").field("id", &self.id).field("reply_type", &self.reply_type).finish()
    }
}

/// Where a one-shot connection stands.
pub type Outcome = Option<Result<Message, Errno>>;

impl OneShot {
    /// Opens a connection to `addr` that sends `message` and waits until
    /// `deadline` for a reply of `reply_type`; the driver must carry out
    /// the returned Connect.
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        id: ConnId,
        addr: &EntityAddr,
        config: &MonClientConfig,
        nonce: u32,
        message: Message,
        reply_type: u16,
        deadline: Instant,
        now: Instant,
        random: u64,
    ) -> Result<(OneShot, MonAction), Errno> {
        let socket = socket_addr(addr).ok_or(Errno::EINVAL)?;
        let mut c = ConnectionConfig::new(addr.clone(), EntityType::MON);
        c.modes.clone_from(&config.modes);
        c.timeout = config.timeout;
        c.connect_timeout = config.hunt_interval;
        c.nonce = nonce;
        c.wall_base = config.wall_base;
        let mut conn = Connection::new(c, ConnAuth::Mon, now, random);
        conn.send(message);
        // A fresh authentication, as upstream's MonConnection with global id 0.
        let shot = OneShot { id, conn, auth: config.auth.clone(), connected: false, reply_type, deadline };
        Ok((shot, MonAction::Connect { conn: id, addr: socket }))
    }

    pub fn handle_connected(&mut self) {
        self.connected = true;
    }

    pub fn handle_bytes(&mut self, bytes: &[u8], now: Instant) -> Outcome {
        self.connected = true;
        self.conn.handle_input(bytes, now, Some(&mut self.auth));
        self.events()
    }

    pub fn handle_closed(&mut self) -> Outcome {
        self.conn.handle_closed();
        self.events().or(Some(Err(Errno::ENXIO)))
    }

    pub fn handle_timeout(&mut self, now: Instant) -> Outcome {
        if now >= self.deadline {
            return Some(Err(Errno::ETIMEDOUT));
        }
        self.conn.handle_timeout(now);
        self.events()
    }

    pub fn poll_timeout(&self) -> Instant {
        self.conn.poll_timeout().map_or(self.deadline, |t| t.min(self.deadline))
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.connected.then(|| self.conn.poll_transmit()).flatten()
    }

    fn events(&mut self) -> Outcome {
        while let Some(event) = self.conn.poll_event() {
            match event {
                ConnEvent::Message(m) if m.msg_type == self.reply_type => return Some(Ok(m)),
                ConnEvent::Failed(_) => return Some(Err(Errno::ENXIO)),
                _ => {}
            }
        }
        None
    }
}

/// The monitor's answer to MPing: a JSON string in the front.
pub fn decode_pong(front: &[u8]) -> Result<String, Errno> {
    Decoder::new(front).string().map_err(|_| Errno::EBADMSG)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgr::{AddrType, EntityAddrvec};

    #[test]
    fn targets_read_as_librados_reads_them() {
        assert_eq!(MonRef::parse("0"), MonRef::Rank(0));
        assert_eq!(MonRef::parse(" 2"), MonRef::Rank(2));
        assert_eq!(MonRef::parse("+1"), MonRef::Rank(1));
        for name in ["a", "mon.a", "0x", "-1", "1 ", "-"] {
            assert_eq!(MonRef::parse(name), MonRef::Name(name.into()), "{name:?}");
        }
    }

    #[test]
    fn unknown_monitors_are_enoent_with_monclients_words() {
        let addr = EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], 3300, 0);
        let a = crate::mon::MonInfo { name: "a".into(), public_addrs: EntityAddrvec(alloc::vec![addr.clone()]) };
        let map = MonMap { fsid: [0; 16], epoch: 1, mons: alloc::vec![a] };
        assert_eq!(MonRef::Name("a".into()).resolve(&map), Ok(&addr));
        assert_eq!(MonRef::Rank(0).resolve(&map), Ok(&addr));
        assert_eq!(MonRef::Rank(1).resolve(&map), Err((Errno::ENOENT, "mon rank dne")));
        assert_eq!(MonRef::Name("b".into()).resolve(&map), Err((Errno::ENOENT, "mon dne")));
    }

    #[test]
    fn pongs_decode_or_fail() {
        let mut front = Vec::new();
        crate::encoding::Encode::encode("{}", &mut front);
        assert_eq!(decode_pong(&front).as_deref(), Ok("{}"));
        assert_eq!(decode_pong(&front[..3]), Err(Errno::EBADMSG));
    }
}
