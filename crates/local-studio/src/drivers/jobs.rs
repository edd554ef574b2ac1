//! The actions a driver has under way, one per session, as both real drivers keep them:
//! begun on a background task, observed by the reconciler, forgotten once concluded.
//! Beginning the same work while it runs does nothing, so a reconciler pass that begins
//! again (or a restart that finds the action still pending) never runs it twice here.

use super::{Progress, Work};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Arc<Mutex<Job>>>>,
}

struct Job {
    work: Work,
    progress: Progress,
}

/// The handle a background task reports through.
#[derive(Clone)]
pub struct JobHandle(Arc<Mutex<Job>>);

impl JobHandle {
    pub fn report(&self, progress: Progress) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).progress = progress;
    }
}

impl Jobs {
    /// Records `work` for `session` with its first `progress`; the handle to run it with,
    /// or `None` when the same work is already under way.
    pub fn start(&self, session: &str, work: &Work, progress: Progress) -> Option<JobHandle> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(job) = jobs.get(session) {
            let job = job.lock().unwrap_or_else(|e| e.into_inner());
            if job.work == *work && matches!(job.progress, Progress::Working(_)) {
                return None;
            }
        }
        let job = Arc::new(Mutex::new(Job {
            work: work.clone(),
            progress,
        }));
        jobs.insert(session.to_owned(), job.clone());
        Some(JobHandle(job))
    }

    /// How `work` goes; `Idle` when this is not the work under way for `session`.
    pub fn observe(&self, session: &str, work: &Work) -> Progress {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        match jobs.get(session) {
            Some(job) => {
                let job = job.lock().unwrap_or_else(|e| e.into_inner());
                if job.work == *work {
                    job.progress.clone()
                } else {
                    Progress::Idle
                }
            }
            None => Progress::Idle,
        }
    }

    pub fn forget(&self, session: &str) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(session);
    }
}
