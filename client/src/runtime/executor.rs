//! A single-threaded executor for the core's flows.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::JoinHandle;
use std::time::Instant;

use rbdrs_core::rados::Dispatcher;
use rbdrs_core::Errno;

use super::{now, Backend};

type Flow = Pin<Box<dyn Future<Output = ()> + Send>>;

enum Msg {
    Spawn(Flow),
    Wake(u64),
    Shutdown,
}

thread_local! {
    static ON_EXECUTOR: Cell<bool> = const { Cell::new(false) };
}

pub(super) fn on_executor_thread() -> bool {
    ON_EXECUTOR.with(Cell::get)
}

thread_local! {
    /// Flows sleeping until a deadline: (deadline, tie-break) -> waker.
    static TIMERS: RefCell<BTreeMap<(Instant, u64), Waker>> = const { RefCell::new(BTreeMap::new()) };
    static TIMER_SEQ: Cell<u64> = const { Cell::new(0) };
}

/// Resolves at `deadline`. Meant for flows, which run on the executor
/// thread: the executor waits for the earliest deadline instead of a
/// message. Polled anywhere else it resolves at once.
pub(super) async fn sleep_until(deadline: Instant) {
    std::future::poll_fn(|cx| {
        if !on_executor_thread() || Instant::now() >= deadline {
            return Poll::Ready(());
        }
        let seq = TIMER_SEQ.with(|s| {
            s.set(s.get() + 1);
            s.get()
        });
        TIMERS.with(|t| t.borrow_mut().insert((deadline, seq), cx.waker().clone()));
        Poll::Pending
    })
    .await
}

/// Wakes the flows whose deadline has passed; returns the next deadline.
fn fire_timers() -> Option<Instant> {
    let now = Instant::now();
    let mut due = Vec::new();
    let next = TIMERS.with(|t| {
        let mut timers = t.borrow_mut();
        while let Some(entry) = timers.first_entry() {
            if entry.key().0 > now {
                return Some(entry.key().0);
            }
            due.push(entry.remove());
        }
        None
    });
    // Woken outside the borrow: a wake only queues a message, but stays
    // clear of the map all the same.
    due.into_iter().for_each(Waker::wake);
    next
}

struct FlowWaker {
    id: u64,
    queue: Mutex<Sender<Msg>>,
}

impl Wake for FlowWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Ok(queue) = self.queue.lock() {
            let _ = queue.send(Msg::Wake(self.id));
        }
    }
}

pub struct Executor {
    queue: Mutex<Sender<Msg>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Executor {
    pub(super) fn start(dispatcher: Dispatcher, backend: Arc<dyn Backend>) -> Result<Executor, Errno> {
        let (tx, rx) = mpsc::channel();
        let wake_tx = tx.clone();
        let thread = std::thread::Builder::new()
            .name("rbdrs-exec".into())
            .spawn(move || run(rx, wake_tx, dispatcher, backend))
            .map_err(|_| Errno::EAGAIN)?;
        Ok(Executor { queue: Mutex::new(tx), thread: Mutex::new(Some(thread)) })
    }

    pub(super) fn spawn(&self, flow: Flow) -> Result<(), Errno> {
        let queue = self.queue.lock().map_err(|_| Errno::EIO)?;
        queue.send(Msg::Spawn(flow)).map_err(|_| Errno::ESHUTDOWN)
    }

    pub(super) fn shutdown(&self) {
        if let Ok(queue) = self.queue.lock() {
            let _ = queue.send(Msg::Shutdown);
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

fn run(rx: Receiver<Msg>, tx: Sender<Msg>, dispatcher: Dispatcher, backend: Arc<dyn Backend>) {
    ON_EXECUTOR.with(|f| f.set(true));
    let mut flows: HashMap<u64, Flow> = HashMap::new();
    let mut next_id = 0u64;
    loop {
        // Deadlines are checked on every turn: a steady stream of messages
        // must not starve them.
        let msg = match fire_timers() {
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(deadline) => rx.recv_timeout(deadline.saturating_duration_since(Instant::now())),
        };
        let msg = match msg {
            Ok(msg) => msg,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let id = match msg {
            Msg::Spawn(flow) => {
                next_id += 1;
                flows.insert(next_id, flow);
                next_id
            }
            Msg::Wake(id) => id,
            Msg::Shutdown => break,
        };
        let Some(flow) = flows.get_mut(&id) else {
            continue;
        };
        dispatcher.set_time(now());
        let waker = Waker::from(Arc::new(FlowWaker { id, queue: Mutex::new(tx.clone()) }));
        let mut cx = Context::from_waker(&waker);
        let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| flow.as_mut().poll(&mut cx)));
        if !matches!(finished, Ok(Poll::Pending)) {
            // Done, or panicked: a panic must not take the thread (and every
            // other flow) down with it.
            flows.remove(&id);
        }
        // Send what the flows queued; replies wake them.
        while let Some((tid, request)) = dispatcher.poll_transmit() {
            backend.submit(tid, request, &dispatcher);
        }
        // Sleeps become flows on the executor's own timer.
        while let Some((tid, duration)) = dispatcher.poll_timer() {
            next_id += 1;
            let (d, deadline) = (dispatcher.clone(), Instant::now() + duration);
            flows.insert(
                next_id,
                Box::pin(async move {
                    sleep_until(deadline).await;
                    d.handle_reply(tid, rbdrs_core::rados::Reply::Done(Ok(())));
                }),
            );
            let _ = tx.send(Msg::Wake(next_id));
        }
    }
}
