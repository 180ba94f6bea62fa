//! In-memory task store: tasks by id, their event fan-out to streaming
//! subscribers, and the handle to cancel a running task.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use tokio::sync::{broadcast, watch};
use tokio::task::AbortHandle;

use super::agent::AgentEvent;
use super::types::{
    Artifact, Message, StreamResponse, Task, TaskArtifactUpdateEvent, TaskState, TaskStatus,
    TaskStatusUpdateEvent,
};

/// Tasks kept; the oldest finished ones are dropped beyond this.
pub const MAX_TASKS: usize = 10_000;

pub(crate) struct Entry {
    pub task: Task,
    pub events: broadcast::Sender<StreamResponse>,
    pub state: watch::Sender<TaskState>,
    pub abort: Option<AbortHandle>,
}

#[derive(Default)]
pub(crate) struct TaskStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    tasks: HashMap<String, Entry>,
    order: VecDeque<String>,
}

pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl TaskStore {
    /// Adds a task; returns receivers for its events and state.
    pub fn insert(
        &self,
        task: Task,
    ) -> (
        broadcast::Receiver<StreamResponse>,
        watch::Receiver<TaskState>,
    ) {
        let (events, rx) = broadcast::channel(256);
        let (state, state_rx) = watch::channel(task.status.state);
        let mut inner = self.inner.lock().expect("task store lock");
        inner.order.push_back(task.id.clone());
        inner.tasks.insert(
            task.id.clone(),
            Entry {
                task,
                events,
                state,
                abort: None,
            },
        );
        while inner.tasks.len() > MAX_TASKS {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            let done = inner
                .tasks
                .get(&old)
                .is_none_or(|e| e.task.status.state.is_terminal());
            if done {
                inner.tasks.remove(&old);
            } else {
                inner.order.push_back(old);
                break;
            }
        }
        (rx, state_rx)
    }

    /// Runs `f` on the task's entry.
    pub fn with<R>(&self, id: &str, f: impl FnOnce(&mut Entry) -> R) -> Option<R> {
        let mut inner = self.inner.lock().expect("task store lock");
        inner.tasks.get_mut(id).map(f)
    }

    /// A copy of the task.
    pub fn get(&self, id: &str) -> Option<Task> {
        self.with(id, |e| e.task.clone())
    }

    /// Sets the status unless the task is already terminal; publishes it.
    /// Returns false when the task was terminal.
    pub fn set_status(&self, id: &str, status: TaskStatus) -> bool {
        self.with(id, |e| {
            if e.task.status.state.is_terminal() {
                return false;
            }
            if let Some(m) = &status.message {
                e.task.history.push(m.clone());
            }
            e.task.status = status.clone();
            let _ = e
                .events
                .send(StreamResponse::StatusUpdate(TaskStatusUpdateEvent {
                    task_id: e.task.id.clone(),
                    context_id: e.task.context_id.clone(),
                    status: status.clone(),
                }));
            e.state.send_replace(status.state);
            true
        })
        .unwrap_or(false)
    }

    /// Adds or extends an artifact; publishes the chunk.
    pub fn add_artifact(&self, id: &str, artifact: Artifact, append: bool, last_chunk: bool) {
        self.with(id, |e| {
            if e.task.status.state.is_terminal() {
                return;
            }
            match e
                .task
                .artifacts
                .iter_mut()
                .find(|a| a.artifact_id == artifact.artifact_id)
            {
                Some(existing) if append => {
                    for part in &artifact.parts {
                        match (existing.parts.last_mut(), &part.text) {
                            // Streamed text chunks are joined into one part.
                            (Some(last), Some(more))
                                if last.text.is_some() && part.metadata.is_none() =>
                            {
                                last.text.get_or_insert_default().push_str(more);
                            }
                            _ => existing.parts.push(part.clone()),
                        }
                    }
                }
                Some(existing) => *existing = artifact.clone(),
                None => e.task.artifacts.push(artifact.clone()),
            }
            let _ = e
                .events
                .send(StreamResponse::ArtifactUpdate(TaskArtifactUpdateEvent {
                    task_id: e.task.id.clone(),
                    context_id: e.task.context_id.clone(),
                    artifact,
                    append,
                    last_chunk,
                }));
        });
    }

    /// Merges metadata into the task.
    pub fn add_metadata(&self, id: &str, meta: serde_json::Map<String, serde_json::Value>) {
        self.with(id, |e| {
            e.task
                .metadata
                .get_or_insert_with(Default::default)
                .extend(meta);
        });
    }
}

pub(crate) fn status(state: TaskState, message: Option<Message>) -> TaskStatus {
    TaskStatus {
        state,
        message,
        timestamp: Some(now()),
    }
}

/// Applies one agent event; true when the task reached a final state.
pub(crate) fn apply(store: &TaskStore, id: &str, ev: AgentEvent) -> bool {
    let with_ids = |mut m: Message| {
        m.task_id = id.to_owned();
        if let Some(t) = store.get(id) {
            m.context_id = t.context_id;
        }
        m
    };
    match ev {
        AgentEvent::Working(note) => {
            store.set_status(
                id,
                status(
                    TaskState::Working,
                    note.map(|n| with_ids(Message::agent_text(n))),
                ),
            );
            false
        }
        AgentEvent::Artifact {
            artifact,
            append,
            last_chunk,
        } => {
            store.add_artifact(id, artifact, append, last_chunk);
            false
        }
        AgentEvent::Completed { message, metadata } => {
            if let Some(meta) = metadata {
                store.add_metadata(id, meta);
            }
            store.set_status(id, status(TaskState::Completed, message.map(with_ids)));
            true
        }
        AgentEvent::Failed(e) => {
            let mut meta = serde_json::Map::new();
            meta.insert("error".into(), serde_json::json!(e));
            store.add_metadata(id, meta);
            let text = match &e.data.hint {
                Some(h) => format!("{} ({h})", e.message),
                None => e.message.clone(),
            };
            store.set_status(
                id,
                status(TaskState::Failed, Some(with_ids(Message::agent_text(text)))),
            );
            true
        }
    }
}
