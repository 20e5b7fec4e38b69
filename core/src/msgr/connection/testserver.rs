//! A test-only msgr2.1 server end: ProtocolV2's accepting side over the
//! simulated cephx monitor or OSD of auth/tests/server.rs. It checks what
//! a real server checks of a client (signatures, ident fields) and can be
//! told to misbehave.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use crate::auth::tests::server::{MonReply, MonSession, ServiceReply, SimMon, SimService};
use crate::auth::{self, auth_signature, AuthRequest, CryptoKey, SessionSecrets};
use crate::msgr::frames::{FrameAssembler, FrameDecoder};
use crate::msgr::payload::*;
use crate::msgr::secure::{SecureRx, SecureTx, KEY_LEN, NONCE_LEN};
use crate::msgr::types::{AddrType, ConMode, EntityAddr, EntityAddrvec, EntityType, MsgHeader2};
use crate::msgr::{Banner, FramePayload, Message};

pub enum Backend {
    Mon(SimMon, Option<MonSession>),
    Osd(SimService),
}

pub struct TestServer {
    pub backend: Backend,
    pub allowed_modes: Vec<u32>,
    pub features: u64,
    /// Frames to answer the next CLIENT_IDENTs with instead of SERVER_IDENT.
    pub ident_script: VecDeque<FramePayload>,
    pub idents: Vec<ClientIdentFrame>,
    pub received: Vec<Message>,
    pub acks: Vec<u64>,
    pub client_signature_ok: Option<bool>,
    pub con_mode: Option<ConMode>,
    pub global_id: u64,
    /// The MonSession once auth is done, for MAuth.
    pub session: Option<MonSession>,
    /// Answer keepalives (false: play dead).
    pub alive: bool,
    asm: FrameAssembler,
    dec: FrameDecoder,
    banner: Option<Vec<u8>>,
    pre_rx: Vec<u8>,
    pre_tx: Vec<u8>,
    pre_auth: bool,
    session_key: Option<CryptoKey>,
    out: Vec<u8>,
    out_seq: u64,
    in_seq: u64,
    pub failed: Option<&'static str>,
}

impl TestServer {
    pub fn new(backend: Backend) -> Self {
        let banner = Banner::default().encode().to_vec();
        TestServer {
            backend,
            allowed_modes: alloc::vec![1, 2],
            features: crate::msgr::features::SUPPORTED_DEFAULT,
            ident_script: VecDeque::new(),
            idents: Vec::new(),
            received: Vec::new(),
            acks: Vec::new(),
            client_signature_ok: None,
            con_mode: None,
            global_id: 0,
            session: None,
            alive: true,
            asm: FrameAssembler::new(),
            dec: FrameDecoder::new(),
            banner: Some(Vec::new()),
            pre_rx: Vec::new(),
            pre_tx: banner.clone(),
            pre_auth: true,
            session_key: None,
            out: banner,
            out_seq: 0,
            in_seq: 0,
            failed: None,
        }
    }

    pub fn entity(&self) -> EntityType {
        match self.backend {
            Backend::Mon(..) => EntityType::MON,
            Backend::Osd(_) => EntityType::OSD,
        }
    }

    /// What the server wants written to the client.
    pub fn take_output(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.out)
    }

    pub fn send_message(&mut self, msg: Message) {
        self.out_seq += 1;
        let header = MsgHeader2 {
            seq: self.out_seq,
            tid: msg.tid,
            msg_type: msg.msg_type,
            version: msg.version,
            compat_version: msg.compat_version,
            ack_seq: self.in_seq,
            ..MsgHeader2::default()
        };
        self.send(MessageFrame { header, front: msg.front, middle: msg.middle, data: msg.data }.into());
    }

    pub fn send(&mut self, payload: FramePayload) {
        let wire = self.asm.assemble(&payload.to_frame().expect("frames the server builds are valid"));
        if self.pre_auth {
            self.pre_tx.extend_from_slice(&wire);
        }
        self.out.extend_from_slice(&wire);
    }

    pub fn feed(&mut self, mut bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if let Some(buf) = &mut self.banner {
            buf.extend_from_slice(bytes);
            match Banner::parse(buf) {
                Ok(Some((_, used))) => {
                    self.pre_rx.extend_from_slice(&buf[..used]);
                    let rest = buf[used..].to_vec();
                    self.banner = None;
                    self.dec.start_recording();
                    self.dec.push(&rest);
                }
                Ok(None) => return,
                Err(_) => {
                    self.failed = Some("banner");
                    return;
                }
            }
            bytes = &[];
        }
        self.dec.push(bytes);
        loop {
            let frame = match self.dec.poll() {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(_) => {
                    self.failed = Some("frame");
                    return;
                }
            };
            let Ok(payload) = FramePayload::from_frame(&frame) else {
                self.failed = Some("payload");
                return;
            };
            self.handle(payload);
        }
    }

    fn handle(&mut self, payload: FramePayload) {
        match payload {
            FramePayload::Hello(_) => {
                let peer_addr = EntityAddr::v4(AddrType::MSGR2, [127, 0, 0, 1], 41000, 0);
                self.send(HelloFrame { entity_type: self.entity(), peer_addr }.into());
            }
            FramePayload::AuthRequest(req) => {
                let mode = req.preferred_modes.iter().copied().find(|m| self.allowed_modes.contains(m));
                let Some(mode) = mode.filter(|_| req.preferred_modes.iter().all(|m| self.allowed_modes.contains(m)))
                else {
                    return self.bad_method(req.method, -95);
                };
                self.con_mode = Some(ConMode(mode));
                let request = AuthRequest {
                    method: auth::AuthMethod(req.method),
                    preferred_modes: alloc::vec![ConMode(mode)],
                    auth_payload: req.auth_payload.to_vec(),
                };
                match &mut self.backend {
                    Backend::Mon(mon, session) => match mon.handle_auth_request(&request) {
                        Ok((s, reply)) => {
                            *session = Some(s);
                            self.mon_reply(req.method, reply);
                        }
                        Err(r) => self.bad_method(req.method, r),
                    },
                    Backend::Osd(_) => self.osd_round(&req.auth_payload),
                }
            }
            FramePayload::AuthRequestMore(more) => match &mut self.backend {
                Backend::Mon(mon, Some(session)) => {
                    let reply = mon.handle_request_more(session, &more.auth_payload);
                    self.mon_reply(2, reply);
                }
                Backend::Mon(_, None) => self.failed = Some("request more before request"),
                Backend::Osd(_) => self.osd_round(&more.auth_payload),
            },
            FramePayload::AuthSignature(sig) => {
                let want = auth_signature(self.session_key.as_ref(), &self.pre_tx);
                self.client_signature_ok = Some(sig.signature == want);
            }
            FramePayload::ClientIdent(ident) => {
                self.idents.push(ident.clone());
                if let Some(reply) = self.ident_script.pop_front() {
                    return self.send(reply);
                }
                let server = ServerIdentFrame {
                    addrs: EntityAddrvec(alloc::vec![ident.target_addr.clone()]),
                    gid: 0,
                    global_seq: 7,
                    supported_features: self.features,
                    required_features: 0,
                    flags: 1,
                    cookie: 99,
                };
                self.send(server.into());
            }
            FramePayload::Message(m) => {
                self.acks.push(m.header.ack_seq);
                self.in_seq = m.header.seq;
                self.received.push(Message {
                    msg_type: m.header.msg_type,
                    version: m.header.version,
                    compat_version: m.header.compat_version,
                    priority: m.header.priority,
                    tid: m.header.tid,
                    front: m.front,
                    middle: m.middle,
                    data: m.data,
                });
            }
            FramePayload::Ack(ack) => self.acks.push(ack.seq),
            FramePayload::Keepalive2(ka) => {
                if self.alive {
                    self.send(KeepAliveFrameAck { timestamp: ka.timestamp }.into());
                }
            }
            _ => self.failed = Some("unexpected frame"),
        }
    }

    fn bad_method(&mut self, method: u32, result: i32) {
        let frame = AuthBadMethodFrame {
            method,
            result,
            allowed_methods: alloc::vec![2],
            allowed_modes: self.allowed_modes.clone(),
        };
        self.send(frame.into());
    }

    fn mon_reply(&mut self, method: u32, reply: MonReply) {
        match reply {
            MonReply::More(payload) => self.send(AuthReplyMoreFrame { auth_payload: payload.into() }.into()),
            MonReply::Done { global_id, payload, secrets } => {
                if let Backend::Mon(_, session) = &mut self.backend {
                    self.session = session.take();
                }
                self.auth_done(global_id, payload, secrets)
            }
            MonReply::BadMethod(r) => self.bad_method(method, r),
        }
    }

    fn osd_round(&mut self, payload: &[u8]) {
        let mode = self.con_mode.unwrap_or(ConMode::CRC);
        let Backend::Osd(osd) = &mut self.backend else {
            return;
        };
        match osd.handle(payload, mode) {
            ServiceReply::Challenge(c) => self.send(AuthReplyMoreFrame { auth_payload: c.into() }.into()),
            ServiceReply::Done { payload, secrets, global_id } => self.auth_done(global_id, payload, secrets),
            ServiceReply::Rejected(_) => self.bad_method(2, -13),
        }
    }

    /// AUTH_DONE, then (in the chosen mode) our AUTH_SIGNATURE.
    fn auth_done(&mut self, global_id: u64, payload: Vec<u8>, secrets: SessionSecrets) {
        let con_mode = self.con_mode.unwrap_or(ConMode::CRC);
        self.global_id = global_id;
        self.send(AuthDoneFrame { global_id, con_mode, auth_payload: payload.into() }.into());
        self.pre_auth = false;
        self.pre_rx.extend_from_slice(&self.dec.take_recording());
        if con_mode == ConMode::SECURE {
            let s = &secrets.connection_secret;
            let mut key = [0u8; KEY_LEN];
            key.copy_from_slice(&s[..KEY_LEN]);
            let mut a = [0u8; NONCE_LEN];
            let mut b = [0u8; NONCE_LEN];
            a.copy_from_slice(&s[KEY_LEN..KEY_LEN + NONCE_LEN]);
            b.copy_from_slice(&s[KEY_LEN + NONCE_LEN..KEY_LEN + 2 * NONCE_LEN]);
            // The server's handlers are "crossed".
            self.asm.set_secure(SecureTx::new(&key, a));
            self.dec.set_secure(SecureRx::new(&key, b)).expect("between frames");
        }
        self.session_key = secrets.session_key;
        let signature = auth_signature(self.session_key.as_ref(), &self.pre_rx);
        self.send(AuthSignatureFrame { signature }.into());
    }
}
