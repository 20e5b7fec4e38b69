//! One client-side msgr2.1 connection, sans IO (ProtocolV2's client half;
//! the kernel's messenger_v2.c): banner, HELLO, auth, AUTH_SIGNATURE,
//! CLIENT_IDENT, then MESSAGE frames with sequence numbers and acks, and
//! keepalives.
//!
//! The policy is librados' lossy client: any fault ends the connection
//! with [`ConnEvent::Failed`] and the owner opens a new one.
//!
//! Call order: after [`Connection::new`], write what
//! [`Connection::poll_transmit`] yields; feed received bytes to
//! [`Connection::handle_input`], EOF to [`Connection::handle_closed`]; wake
//! at [`Connection::poll_timeout`] and call [`Connection::handle_timeout`];
//! after each call drain `poll_transmit` and `poll_event`.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::time::Duration;

use bytes::Bytes;

use super::banner::Banner;
use super::frames::{FrameAssembler, FrameDecoder};
use super::payload::{
    AckFrame, AuthRequestFrame, AuthRequestMoreFrame, AuthSignatureFrame, ClientIdentFrame, FramePayload,
    KeepAliveFrame, KeepAliveFrameAck, MessageFrame,
};
use super::secure::{SecureRx, SecureTx, KEY_LEN, NONCE_LEN};
use super::types::{AddrType, ConMode, EntityAddr, EntityAddrvec, EntityType, MsgHeader2, Sockaddr};
use super::{features, HelloFrame};
use crate::auth::{self, auth_signature, AuthClient, Authorizer, SessionSecrets};
use crate::encoding::UtcTime;
use crate::random::XorShift;
use crate::time::Instant;
use crate::Errno;

/// `CEPH_MSG_CONNECT_LOSSY` in CLIENT_IDENT's flags.
const CONNECT_LOSSY: u64 = 1;
/// SESSION_RETRY / RESET rounds tolerated before giving up.
const MAX_IDENT_ROUNDS: u32 = 8;

/// A Ceph message as the messenger carries it; `seq` and `ack_seq` are
/// the connection's business.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub msg_type: u16,
    pub version: u16,
    pub compat_version: u16,
    pub priority: u16,
    pub tid: u64,
    pub front: Bytes,
    pub middle: Bytes,
    pub data: Bytes,
}

impl Message {
    /// A message of `msg_type` with a front and no tid.
    pub fn new(msg_type: u16, version: u16, compat_version: u16, front: impl Into<Bytes>) -> Self {
        Message { msg_type, version, compat_version, front: front.into(), ..Message::default() }
    }
}

/// How a connection should behave.
#[derive(Clone, Debug)]
pub struct ConnectionConfig {
    /// The peer's msgr2 address as its map lists it (nonce included): it
    /// goes into HELLO and CLIENT_IDENT's target_addr.
    pub peer_addr: EntityAddr,
    pub peer_type: EntityType,
    /// Connection modes in order of preference.
    pub modes: Vec<ConMode>,
    pub supported_features: u64,
    pub required_features: u64,
    pub keepalive_interval: Duration,
    /// Silence from the peer after which it is declared dead.
    pub timeout: Duration,
    /// How long banner to SERVER_IDENT may take.
    pub connect_timeout: Duration,
    /// This messenger's random nonce (part of our address).
    pub nonce: u32,
    /// Our entity number: the global_id once known, -1 before.
    pub gid: i64,
    /// The messenger-wide connection counter for this attempt.
    pub global_seq: u64,
    /// Wall-clock time at `Instant::ZERO`: keepalive stamps and ticket
    /// times are derived from it.
    pub wall_base: UtcTime,
}

impl ConnectionConfig {
    pub fn new(peer_addr: EntityAddr, peer_type: EntityType) -> Self {
        ConnectionConfig {
            peer_addr,
            peer_type,
            modes: alloc::vec![ConMode::SECURE, ConMode::CRC],
            supported_features: features::SUPPORTED_DEFAULT,
            required_features: features::REQUIRED_DEFAULT,
            keepalive_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            nonce: 0,
            gid: -1,
            global_seq: 1,
            wall_base: UtcTime::default(),
        }
    }
}

/// How the connection authenticates.
#[derive(Debug)]
pub enum ConnAuth {
    /// To a monitor: drives the [`AuthClient`] passed to `handle_input`.
    Mon,
    /// To a service (an OSD): presents this authorizer.
    Service(Authorizer),
}

/// What the owner learns from a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnEvent {
    /// SERVER_IDENT arrived; queued messages are on their way.
    Ready,
    Message(Message),
    /// Terminal: the connection is dead.
    Failed(Errno),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Banner,
    Hello,
    Auth,
    AuthSignature,
    Ident,
    Ready,
    Closed,
}

/// A client-side msgr2.1 connection.
#[derive(Debug)]
pub struct Connection {
    config: ConnectionConfig,
    auth: ConnAuth,
    state: State,
    rng: XorShift,
    banner_buf: Vec<u8>,
    asm: FrameAssembler,
    dec: FrameDecoder,
    /// Our pre-auth bytes; the peer's, which we sign, go into `pre_auth_rx`.
    pre_auth_tx: Vec<u8>,
    pre_auth_rx: Vec<u8>,
    session_key: Option<auth::CryptoKey>,
    sent_modes: Vec<ConMode>,
    mode_retried: bool,
    my_addr: EntityAddr,
    client_cookie: u64,
    connect_seq: u64,
    ident_rounds: u32,
    peer_features: u64,
    peer_global_seq: u64,
    con_mode: ConMode,
    out_seq: u64,
    in_seq: u64,
    acked_to_peer: u64,
    peer_acked: u64,
    pending: VecDeque<Message>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<ConnEvent>,
    started: Instant,
    last_rx: Instant,
    next_keepalive: Instant,
    last_keepalive_ack: Option<UtcTime>,
}

impl Connection {
    /// Queues our banner at once.
    pub fn new(config: ConnectionConfig, auth: ConnAuth, now: Instant, random: u64) -> Self {
        let mut rng = XorShift::new(random | 1);
        let client_cookie = rng.next_u64() | 1;
        let banner = Banner::default().encode().to_vec();
        let mut conn = Connection {
            auth,
            state: State::Banner,
            rng,
            banner_buf: Vec::new(),
            asm: FrameAssembler::new(),
            dec: FrameDecoder::new(),
            pre_auth_tx: banner.clone(),
            pre_auth_rx: Vec::new(),
            session_key: None,
            sent_modes: config.modes.clone(),
            mode_retried: false,
            my_addr: EntityAddr::blank(),
            client_cookie,
            connect_seq: 0,
            ident_rounds: 0,
            peer_features: 0,
            peer_global_seq: 0,
            con_mode: ConMode::UNKNOWN,
            out_seq: 0,
            in_seq: 0,
            acked_to_peer: 0,
            peer_acked: 0,
            pending: VecDeque::new(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            started: now,
            last_rx: now,
            next_keepalive: now + config.keepalive_interval,
            last_keepalive_ack: None,
            config,
        };
        conn.transmit.push_back(banner);
        conn
    }

    pub fn is_ready(&self) -> bool {
        self.state == State::Ready
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The features both ends share, once SERVER_IDENT arrived.
    pub fn peer_features(&self) -> u64 {
        self.peer_features
    }

    /// The mode AUTH_DONE chose.
    pub fn con_mode(&self) -> ConMode {
        self.con_mode
    }

    /// Our address as the peer sees it (HELLO), typed ANY like upstream.
    pub fn my_addr(&self) -> &EntityAddr {
        &self.my_addr
    }

    /// The global_seq used last; SESSION_RETRY_GLOBAL may raise it and the
    /// owner's counter should follow.
    pub fn global_seq(&self) -> u64 {
        self.config.global_seq
    }

    /// Highest sequence number the peer acknowledged.
    pub fn acked_seq(&self) -> u64 {
        self.peer_acked
    }

    /// Stamp of the last KEEPALIVE2_ACK received.
    pub fn last_keepalive_ack(&self) -> Option<UtcTime> {
        self.last_keepalive_ack
    }

    pub fn peer_addr(&self) -> &EntityAddr {
        &self.config.peer_addr
    }

    /// Queues a message; it is framed once the connection is ready.
    pub fn send(&mut self, msg: Message) {
        match self.state {
            State::Ready => self.send_message(msg),
            State::Closed => {}
            _ => self.pending.push_back(msg),
        }
    }

    /// Queues a KEEPALIVE2 now (once ready), besides the periodic ones.
    pub fn send_keepalive(&mut self, now: Instant) {
        if self.state == State::Ready {
            let stamp = self.wall(now);
            self.send_frame(KeepAliveFrame { timestamp: stamp }.into());
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Closed => None,
            State::Ready => Some(self.next_keepalive.min(self.last_rx + self.config.timeout)),
            _ => Some((self.started + self.config.connect_timeout).min(self.last_rx + self.config.timeout)),
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::Closed => {}
            State::Ready => {
                if now >= self.last_rx + self.config.timeout {
                    return self.fail(Errno::ETIMEDOUT);
                }
                if now >= self.next_keepalive {
                    self.send_keepalive(now);
                    self.next_keepalive = now + self.config.keepalive_interval;
                }
            }
            _ => {
                if now >= self.started + self.config.connect_timeout || now >= self.last_rx + self.config.timeout {
                    self.fail(Errno::ETIMEDOUT);
                }
            }
        }
    }

    /// The transport saw EOF or an error.
    pub fn handle_closed(&mut self) {
        self.fail(Errno::ECONNRESET);
    }

    /// Ends the connection from our side (no event).
    pub fn close(&mut self) {
        self.state = State::Closed;
        self.transmit.clear();
        self.pending.clear();
    }

    /// Bytes from the socket. A monitor connection needs the
    /// [`AuthClient`] until it is ready; a service connection ignores it.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant, mut auth: Option<&mut AuthClient>) {
        if self.state == State::Closed {
            return;
        }
        self.last_rx = now;
        let mut rest = bytes;
        if self.state == State::Banner {
            match self.take_banner(bytes) {
                Ok(Some(used)) => rest = &bytes[used..],
                Ok(None) => return,
                Err(errno) => return self.fail(errno),
            }
        }
        self.dec.push(rest);
        while self.state != State::Closed {
            let frame = match self.dec.poll() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => return self.fail(e.errno()),
            };
            let payload = match FramePayload::from_frame(&frame) {
                Ok(p) => p,
                Err(e) => return self.fail(e.errno()),
            };
            if let Err(errno) = self.handle_frame(payload, now, auth.as_deref_mut()) {
                return self.fail(errno);
            }
        }
        if self.state == State::Ready && self.in_seq > self.acked_to_peer {
            self.acked_to_peer = self.in_seq;
            self.send_frame(AckFrame { seq: self.in_seq }.into());
        }
    }

    fn wall(&self, now: Instant) -> UtcTime {
        let nanos = self.config.wall_base.as_nanos().saturating_add(now.as_nanos());
        let sec = u32::try_from(nanos / 1_000_000_000).unwrap_or(u32::MAX);
        UtcTime::new(sec, (nanos % 1_000_000_000) as u32)
    }

    fn fail(&mut self, errno: Errno) {
        if self.state != State::Closed {
            self.close();
            self.events.push_back(ConnEvent::Failed(errno));
        }
    }

    /// Collects the peer's banner; returns how many of `bytes` it took.
    fn take_banner(&mut self, bytes: &[u8]) -> Result<Option<usize>, Errno> {
        let before = self.banner_buf.len();
        // The banner is at most a few dozen bytes; never buffer more.
        let take = bytes.len().min(64usize.saturating_sub(before));
        self.banner_buf.extend_from_slice(&bytes[..take]);
        let (peer, used) = match Banner::parse(&self.banner_buf) {
            Ok(Some(parsed)) => parsed,
            Ok(None) if self.banner_buf.len() < 64 => return Ok(None),
            Ok(None) | Err(_) => return Err(Errno::EPROTO),
        };
        peer.check_peer(&Banner::default()).map_err(|_| Errno::EOPNOTSUPP)?;
        let consumed = used - before;
        self.pre_auth_rx.extend_from_slice(&self.banner_buf[..used]);
        self.banner_buf = Vec::new();
        self.dec.start_recording();
        self.state = State::Hello;
        let hello = HelloFrame { entity_type: EntityType::CLIENT, peer_addr: self.config.peer_addr.clone() };
        self.send_frame(hello.into());
        Ok(Some(consumed))
    }

    fn send_frame(&mut self, payload: FramePayload) {
        let Ok(frame) = payload.to_frame() else {
            // Only a message with segments over 4 GiB gets here.
            return self.fail(Errno::E2BIG);
        };
        let wire = self.asm.assemble(&frame);
        if matches!(self.state, State::Hello | State::Auth) {
            self.pre_auth_tx.extend_from_slice(&wire);
        }
        self.transmit.push_back(wire);
    }

    fn send_message(&mut self, msg: Message) {
        self.out_seq += 1;
        self.acked_to_peer = self.in_seq;
        let header = MsgHeader2 {
            seq: self.out_seq,
            tid: msg.tid,
            msg_type: msg.msg_type,
            priority: msg.priority,
            version: msg.version,
            ack_seq: self.in_seq,
            compat_version: msg.compat_version,
            ..MsgHeader2::default()
        };
        let frame = MessageFrame { header, front: msg.front, middle: msg.middle, data: msg.data };
        self.send_frame(frame.into());
    }

    fn handle_frame(
        &mut self,
        payload: FramePayload,
        now: Instant,
        auth: Option<&mut AuthClient>,
    ) -> Result<(), Errno> {
        use FramePayload as P;
        match (self.state, payload) {
            (State::Hello, P::Hello(hello)) => {
                if hello.entity_type != self.config.peer_type {
                    return Err(Errno::EPROTO);
                }
                // AsyncMessenger::learned_addr: unbound, so type ANY, port 0.
                let mut addr = hello.peer_addr;
                addr.addr_type = AddrType::ANY;
                addr.nonce = self.config.nonce;
                match &mut addr.sockaddr {
                    Sockaddr::V4 { port, .. } | Sockaddr::V6 { port, .. } => *port = 0,
                    _ => {}
                }
                self.my_addr = addr;
                self.state = State::Auth;
                self.send_auth_request(auth)
            }
            (State::Auth, P::AuthReplyMore(more)) => {
                let wall = self.wall(now);
                let random = self.rng.next_u64();
                let reply = match &mut self.auth {
                    ConnAuth::Mon => {
                        let auth = auth.ok_or(Errno::EINVAL)?;
                        auth.handle_reply_more(&more.auth_payload, random, wall).map_err(|e| e.errno())?
                    }
                    ConnAuth::Service(a) => a.handle_challenge(&more.auth_payload).map_err(|e| e.errno())?.to_vec(),
                };
                self.send_frame(AuthRequestMoreFrame { auth_payload: reply.into() }.into());
                Ok(())
            }
            (State::Auth, P::AuthBadMethod(bad)) => {
                let method = match &self.auth {
                    ConnAuth::Mon => auth.as_ref().map(|a| a.method()),
                    ConnAuth::Service(a) => Some(a.method()),
                };
                let ours: Vec<ConMode> =
                    self.config.modes.iter().copied().filter(|m| bad.allowed_modes.contains(&m.0)).collect();
                let method_ok = method.is_some_and(|m| bad.allowed_methods.contains(&m.0));
                if method_ok && !self.mode_retried && !ours.is_empty() && ours != self.sent_modes {
                    // The method is fine but not the modes: retry once.
                    self.mode_retried = true;
                    self.sent_modes = ours;
                    return self.send_auth_request(auth);
                }
                Err(Errno::from_ret(bad.result).err().unwrap_or(Errno::EACCES))
            }
            (State::Auth, P::AuthDone(done)) => {
                let mode = done.con_mode;
                if !self.sent_modes.contains(&mode) {
                    return Err(Errno::EPROTO);
                }
                let wall = self.wall(now);
                let secrets = match &self.auth {
                    ConnAuth::Mon => {
                        let auth = auth.ok_or(Errno::EINVAL)?;
                        auth.handle_done(done.global_id, &done.auth_payload, wall).map_err(|e| e.errno())?
                    }
                    ConnAuth::Service(a) => a.verify_reply(&done.auth_payload).map_err(|e| e.errno())?,
                };
                self.finish_auth(mode, secrets)
            }
            (State::AuthSignature, P::AuthSignature(sig)) => {
                let want = auth_signature(self.session_key.as_ref(), &self.pre_auth_tx);
                if sig.signature != want {
                    return Err(Errno::EPROTO);
                }
                self.pre_auth_tx = Vec::new();
                self.state = State::Ident;
                self.send_client_ident();
                Ok(())
            }
            (State::Ident, P::ServerIdent(ident)) => {
                if ident.required_features & !self.config.supported_features != 0 {
                    return Err(Errno::EOPNOTSUPP);
                }
                self.peer_features = ident.supported_features & self.config.supported_features;
                self.peer_global_seq = ident.global_seq;
                self.state = State::Ready;
                self.next_keepalive = now + self.config.keepalive_interval;
                self.events.push_back(ConnEvent::Ready);
                while let Some(msg) = self.pending.pop_front() {
                    self.send_message(msg);
                }
                Ok(())
            }
            (State::Ident, P::IdentMissingFeatures(_)) => Err(Errno::EOPNOTSUPP),
            (State::Ident, P::SessionReset(_)) => {
                // reset_session: a fresh session from CLIENT_IDENT.
                self.connect_seq = 0;
                self.client_cookie = self.rng.next_u64() | 1;
                self.retry_ident()
            }
            (State::Ident, P::SessionRetry(retry)) => {
                self.connect_seq = retry.connect_seq.saturating_add(1);
                self.retry_ident()
            }
            (State::Ident, P::SessionRetryGlobal(retry)) => {
                self.config.global_seq = self.config.global_seq.max(retry.global_seq).saturating_add(1);
                self.retry_ident()
            }
            // Lossy: a WAIT means fault; the owner reconnects later.
            (State::Ident, P::Wait(_)) => Err(Errno::EAGAIN),
            (State::Ready, P::Message(m)) => self.handle_message(m),
            (State::Ready, P::Ack(ack)) => {
                self.handle_ack(ack.seq);
                Ok(())
            }
            (State::Ready, P::Keepalive2(ka)) => {
                self.send_frame(KeepAliveFrameAck { timestamp: ka.timestamp }.into());
                Ok(())
            }
            (State::Ready, P::Keepalive2Ack(ack)) => {
                self.last_keepalive_ack = Some(ack.timestamp);
                Ok(())
            }
            _ => Err(Errno::EPROTO),
        }
    }

    fn send_auth_request(&mut self, auth: Option<&mut AuthClient>) -> Result<(), Errno> {
        let modes: Vec<u32> = self.sent_modes.iter().map(|m| m.0).collect();
        let (method, payload) = match &self.auth {
            ConnAuth::Mon => {
                let auth = auth.ok_or(Errno::EINVAL)?;
                let request = auth.start(&self.sent_modes);
                (request.method, request.auth_payload)
            }
            ConnAuth::Service(a) => (a.method(), a.payload().to_vec()),
        };
        let frame = AuthRequestFrame { method: method.0, preferred_modes: modes, auth_payload: payload.into() };
        self.send_frame(frame.into());
        Ok(())
    }

    fn finish_auth(&mut self, mode: ConMode, secrets: SessionSecrets) -> Result<(), Errno> {
        self.con_mode = mode;
        if mode == ConMode::SECURE {
            let s = &secrets.connection_secret;
            let (Some(key), Some(rx), Some(tx)) = (
                s.get(..KEY_LEN),
                s.get(KEY_LEN..KEY_LEN + NONCE_LEN),
                s.get(KEY_LEN + NONCE_LEN..KEY_LEN + 2 * NONCE_LEN),
            ) else {
                return Err(Errno::EPROTO);
            };
            let mut k = [0u8; KEY_LEN];
            k.copy_from_slice(key);
            let (mut rn, mut tn) = ([0u8; NONCE_LEN], [0u8; NONCE_LEN]);
            rn.copy_from_slice(rx);
            tn.copy_from_slice(tx);
            self.dec.set_secure(SecureRx::new(&k, rn)).map_err(|e| e.errno())?;
            self.asm.set_secure(SecureTx::new(&k, tn));
        }
        self.pre_auth_rx.extend_from_slice(&self.dec.take_recording());
        let rx = core::mem::take(&mut self.pre_auth_rx);
        self.session_key = secrets.session_key;
        self.state = State::AuthSignature;
        let signature = auth_signature(self.session_key.as_ref(), &rx);
        self.send_frame(AuthSignatureFrame { signature }.into());
        Ok(())
    }

    fn send_client_ident(&mut self) {
        let ident = ClientIdentFrame {
            addrs: EntityAddrvec(alloc::vec![self.my_addr.clone()]),
            target_addr: self.config.peer_addr.clone(),
            gid: self.config.gid,
            global_seq: self.config.global_seq,
            supported_features: self.config.supported_features,
            required_features: self.config.required_features | features::MSGR2_REQUIRED,
            flags: CONNECT_LOSSY,
            cookie: self.client_cookie,
        };
        self.send_frame(ident.into());
    }

    fn retry_ident(&mut self) -> Result<(), Errno> {
        self.ident_rounds += 1;
        if self.ident_rounds > MAX_IDENT_ROUNDS {
            return Err(Errno::EPROTO);
        }
        self.send_client_ident();
        Ok(())
    }

    fn handle_ack(&mut self, seq: u64) {
        // An ack past what we sent is a confused peer; keep what is true.
        self.peer_acked = self.peer_acked.max(seq.min(self.out_seq));
    }

    fn handle_message(&mut self, m: MessageFrame) -> Result<(), Errno> {
        let h = m.header;
        self.handle_ack(h.ack_seq);
        if h.seq <= self.in_seq {
            // A duplicate: ProtocolV2 discards it.
            return Ok(());
        }
        if h.seq != self.in_seq + 1 {
            return Err(Errno::EPROTO);
        }
        self.in_seq = h.seq;
        self.events.push_back(ConnEvent::Message(Message {
            msg_type: h.msg_type,
            version: h.version,
            compat_version: h.compat_version,
            priority: h.priority,
            tid: h.tid,
            front: m.front,
            middle: m.middle,
            data: m.data,
        }));
        Ok(())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testserver;
