//! Commands to an OSD (rados_osd_command, rados_pg_command): an MCommand on
//! the OSD's session, matched to its MCommandReply by tid. A command whose
//! session resets goes again to wherever the map now sends it, as the
//! objecter's command ops do.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use super::{Reply, Tid};
use crate::encoding::decode_exact;
use crate::mon::messages::{self, CommandReply};
use crate::msgr::Message;
use crate::osdmap::{OsdMap, PgId};
use crate::Errno;

/// Who runs the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandTarget {
    Osd(i32),
    /// The pg's acting primary.
    Pg(PgId),
}

/// A pgid as librados reads it (pg_t::parse: sscanf "%llu.%x"): decimal
/// pool, a dot, hex seed; what follows is ignored.
pub fn parse_pgid(text: &str) -> Option<PgId> {
    fn number(s: &str, radix: u32) -> Option<(u64, &str)> {
        let s = s.trim_start().strip_prefix('+').unwrap_or(s.trim_start());
        let s = if radix == 16 { s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s) } else { s };
        let end = s.find(|c: char| !c.is_digit(radix)).unwrap_or(s.len());
        let value = s[..end]
            .chars()
            .try_fold(0u64, |v, c| v.checked_mul(u64::from(radix))?.checked_add(c.to_digit(radix)?.into()));
        Some((value.unwrap_or(u64::MAX), &s[end..])).filter(|_| end > 0)
    }
    let (pool, rest) = number(text, 10)?;
    let (seed, _) = number(rest.strip_prefix('.')?, 16)?;
    Some(PgId { pool: pool as i64, seed: u32::try_from(seed).unwrap_or(u32::MAX) })
}

/// The OSD a command goes to, or the error and status line librados's
/// objecter gives.
pub fn command_target(map: &OsdMap, target: CommandTarget) -> Result<i32, (Errno, &'static str)> {
    let osd = match target {
        CommandTarget::Osd(osd) if !map.exists(osd) => return Err((Errno::ENOENT, "osd dne")),
        CommandTarget::Osd(osd) => osd,
        CommandTarget::Pg(pg) => {
            let pool = map.pool(pg.pool).ok_or((Errno::ENOENT, "pool dne"))?;
            map.pg_to_up_acting_osds(pool.raw_pg_to_pg(pg)).acting_primary
        }
    };
    if osd < 0 || !map.is_up(osd) {
        return Err((Errno::ENXIO, "osd down"));
    }
    Ok(osd)
}

struct Pending {
    tid: Tid,
    target: CommandTarget,
    osd: i32,
    message: Message,
}

/// The commands in flight, by their MCommand tid.
#[derive(Default)]
pub struct OsdCommands {
    last_tid: u64,
    pending: BTreeMap<u64, Pending>,
}

impl core::fmt::Debug for OsdCommands {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OsdCommands").field("pending", &self.pending.len()).finish()
    }
}

/// Commands to send again, by OSD, and commands answered.
pub type Retargeted = (Vec<(i32, Message)>, Vec<(Tid, Reply)>);

/// The reply of a command that could not go: librados's error and words.
pub fn failed((e, status): (Errno, &str)) -> Reply {
    Reply::Command { result: e.to_ret(), status: status.into(), output: Bytes::new() }
}

impl OsdCommands {
    /// Starts a command: the OSD and message to send it there, or why it
    /// cannot go (see [`failed`]).
    pub fn start(
        &mut self,
        tid: Tid,
        target: CommandTarget,
        cmd: &[String],
        input: Bytes,
        map: &OsdMap,
        fsid: &[u8; 16],
    ) -> Result<(i32, Message), (Errno, &'static str)> {
        let osd = command_target(map, target)?;
        self.last_tid += 1;
        let message = messages::command(self.last_tid, fsid, cmd, input);
        self.pending.insert(self.last_tid, Pending { tid, target, osd, message: message.clone() });
        Ok((osd, message))
    }

    /// An MCommandReply from `osd`: the command it answers and its reply.
    pub fn handle_reply(&mut self, osd: i32, m: &Message) -> Option<(Tid, Reply)> {
        if self.pending.get(&m.tid)?.osd != osd {
            return None;
        }
        // A reply that does not decode leaves the command to time out.
        let r: CommandReply = decode_exact(&m.front).ok()?;
        let pending = self.pending.remove(&m.tid)?;
        Some((pending.tid, Reply::Command { result: r.result, status: r.status, output: m.data.clone() }))
    }

    /// `osd`'s session is gone: its commands go again where the map says,
    /// or fail. Returns what to send and what to answer.
    pub fn retarget(&mut self, osd: i32, map: &OsdMap) -> Retargeted {
        let (mut sends, mut replies) = (Vec::new(), Vec::new());
        let tids: Vec<u64> = self.pending.iter().filter(|(_, p)| p.osd == osd).map(|(t, _)| *t).collect();
        for t in tids {
            let Some(p) = self.pending.get_mut(&t) else { continue };
            match command_target(map, p.target) {
                Ok(to) => {
                    p.osd = to;
                    sends.push((to, p.message.clone()));
                }
                Err(e) => {
                    replies.push((p.tid, failed(e)));
                    self.pending.remove(&t);
                }
            }
        }
        (sends, replies)
    }

    pub fn cancel(&mut self, tid: Tid) {
        self.pending.retain(|_, p| p.tid != tid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgids_parse_as_sscanf_reads_them() {
        let pg = |pool, seed| Some(PgId { pool, seed });
        assert_eq!(parse_pgid("1.0"), pg(1, 0));
        assert_eq!(parse_pgid("1.1f"), pg(1, 0x1f));
        assert_eq!(parse_pgid(" 2.0x10junk"), pg(2, 0x10));
        assert_eq!(parse_pgid("1.ffffffff"), pg(1, u32::MAX));
        for bad in ["", "1", "1.", "x.0", ".0", "1 .0", "1.g"] {
            assert_eq!(parse_pgid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn replies_match_their_command_and_osd() {
        let mut commands = OsdCommands::default();
        let message = messages::command(1, &[0; 16], &["{}".into()], Bytes::new());
        commands.pending.insert(1, Pending { tid: 7, target: CommandTarget::Osd(0), osd: 0, message });
        let reply = CommandReply { result: 0, status: "".into() };
        let from = |tid| messages::command_reply_message(tid, &reply, Bytes::from_static(b"{}"));
        assert_eq!(commands.handle_reply(1, &from(1)), None, "another OSD");
        assert_eq!(commands.handle_reply(0, &from(2)), None, "another command");
        let mut garbled = from(1);
        garbled.front = Bytes::from_static(b"\x01");
        assert_eq!(commands.handle_reply(0, &garbled), None);
        let (tid, reply) = commands.handle_reply(0, &from(1)).unwrap();
        assert_eq!(tid, 7);
        assert!(matches!(reply, Reply::Command { result: 0, output, .. } if &output[..] == b"{}"));
        assert!(commands.pending.is_empty());
    }
}
