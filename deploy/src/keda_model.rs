//! A model of what KEDA and the HorizontalPodAutoscaler do with a rendered
//! `ScaledObject`, built from the YAML alone (not from `OmegaConfig`).
//!
//! It is written separately from `omega_capacity::Scaler` on purpose: the
//! two are compared step by step on a recorded trace, which proves that the
//! rendered manifests and the in-process manager follow the same rules.
//!
//! * KEDA operator, every `pollingInterval`: active when
//!   `metric > activation*`; at 0 and active → `max(minReplicaCount, 1)`;
//!   inactive with `minReplicaCount == 0` → 0 once `lastActive + cooldownPeriod`
//!   is before now.
//! * HPA sync (assumed at the poll instants, reading the cached metric):
//!   `AverageValue` replica calculation with tolerance 0.1 (the
//!   kube-controller-manager default, not settable in a `ScaledObject`),
//!   stabilisation windows and rate policies from
//!   `advanced.horizontalPodAutoscalerConfig.behavior`, then clamping to
//!   `[max(minReplicaCount, 1), maxReplicaCount]`; skipped at 0 replicas.

use serde_json::Value;

use crate::DeployError;

/// The HPA's default tolerance.
pub const HPA_TOLERANCE: f64 = 0.1;

/// Scaling parameters read back from a `ScaledObject`.
#[derive(Debug, Clone, PartialEq)]
pub struct KedaParams {
    /// `spec.minReplicaCount` (default 0).
    pub min: u32,
    /// `spec.maxReplicaCount` (default 100).
    pub max: u32,
    /// Per-replica target (`messageCount`, `lagCount` or `lagThreshold`).
    pub target: u64,
    /// Activation threshold.
    pub activation: u64,
    /// `spec.cooldownPeriod` in seconds (default 300).
    pub cooldown_secs: u64,
    /// `spec.pollingInterval` in seconds (default 30).
    pub polling_secs: u64,
    /// HPA scale-up stabilisation window (default 0).
    pub up_window_secs: u64,
    /// HPA scale-down stabilisation window (default 300).
    pub down_window_secs: u64,
    /// Most pods added per sync (`Pods` scale-up policy), if limited.
    pub up_pods_limit: Option<u32>,
    /// Most percent removed per sync (`Percent` scale-down policy), if limited.
    pub down_percent_limit: Option<u32>,
}

fn bad(message: impl Into<String>) -> DeployError {
    DeployError::Manifest {
        what: "ScaledObject".into(),
        message: message.into(),
    }
}

fn int(v: &Value, path: &str, default: u64) -> Result<u64, DeployError> {
    match v.pointer(path) {
        None | Some(Value::Null) => Ok(default),
        Some(x) => x
            .as_u64()
            .ok_or_else(|| bad(format!("{path} is not a whole number"))),
    }
}

fn meta_num(meta: &Value, key: &str, default: Option<u64>) -> Result<u64, DeployError> {
    match meta.get(key).and_then(Value::as_str) {
        Some(s) => s
            .parse()
            .map_err(|_| bad(format!("trigger metadata {key} `{s}` is not a number"))),
        None => default.ok_or_else(|| bad(format!("trigger metadata {key} is missing"))),
    }
}

impl KedaParams {
    /// Reads a `ScaledObject` from its YAML text.
    pub fn from_yaml(text: &str) -> Result<Self, DeployError> {
        let v: Value = serde_norway::from_str(text).map_err(|e| bad(e.to_string()))?;
        Self::from_value(&v)
    }

    /// Reads a `ScaledObject` already parsed into JSON.
    pub fn from_value(v: &Value) -> Result<Self, DeployError> {
        if v["kind"] != "ScaledObject" {
            return Err(bad("kind is not ScaledObject"));
        }
        let triggers = v
            .pointer("/spec/triggers")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no triggers"))?;
        let [trigger] = &triggers[..] else {
            return Err(bad("the model handles exactly one trigger"));
        };
        let meta = &trigger["metadata"];
        let (target, activation) = match trigger["type"].as_str() {
            Some("azure-servicebus") => (
                meta_num(meta, "messageCount", Some(5))?,
                meta_num(meta, "activationMessageCount", Some(0))?,
            ),
            Some("redis-streams") => (
                meta_num(meta, "lagCount", None)?,
                meta_num(meta, "activationLagCount", Some(0))?,
            ),
            Some("nats-jetstream") => (
                meta_num(meta, "lagThreshold", None)?,
                meta_num(meta, "activationLagThreshold", Some(0))?,
            ),
            other => return Err(bad(format!("trigger type {other:?} is not modelled"))),
        };
        let behavior = "/spec/advanced/horizontalPodAutoscalerConfig/behavior";
        let b = v.pointer(behavior).cloned().unwrap_or(Value::Null);
        let policy = |dir: &str, kind: &str| -> Result<Option<u32>, DeployError> {
            let Some(list) = b
                .pointer(&format!("/{dir}/policies"))
                .and_then(Value::as_array)
            else {
                return Ok(None);
            };
            let mut limit = None;
            for p in list {
                if p["type"] != kind {
                    return Err(bad(format!(
                        "{dir} policy type {} is not modelled",
                        p["type"]
                    )));
                }
                let value = p["value"].as_u64().ok_or_else(|| bad("policy value"))?;
                // selectPolicy Max: the most permissive policy wins.
                limit = Some(
                    limit
                        .unwrap_or(0)
                        .max(u32::try_from(value).unwrap_or(u32::MAX)),
                );
            }
            Ok(limit)
        };
        Ok(Self {
            min: int(v, "/spec/minReplicaCount", 0)? as u32,
            max: int(v, "/spec/maxReplicaCount", 100)? as u32,
            target: target.max(1),
            activation,
            cooldown_secs: int(v, "/spec/cooldownPeriod", 300)?,
            polling_secs: int(v, "/spec/pollingInterval", 30)?.max(1),
            up_window_secs: int(&b, "/scaleUp/stabilizationWindowSeconds", 0)?,
            down_window_secs: int(&b, "/scaleDown/stabilizationWindowSeconds", 300)?,
            up_pods_limit: policy("scaleUp", "Pods")?,
            down_percent_limit: policy("scaleDown", "Percent")?,
        })
    }
}

/// KEDA operator plus HPA controller state for one `ScaledObject`.
#[derive(Debug, Clone)]
pub struct KedaHpaModel {
    p: KedaParams,
    replicas: u32,
    last_active_ms: Option<u64>,
    next_poll_ms: u64,
    /// HPA recommendations (time, desired) as the HPA stores them.
    recommendations: Vec<(u64, u32)>,
}

impl KedaHpaModel {
    /// A model starting at `minReplicaCount`, first poll at time 0.
    pub fn new(p: KedaParams) -> Self {
        Self {
            replicas: p.min,
            p,
            last_active_ms: None,
            next_poll_ms: 0,
            recommendations: Vec::new(),
        }
    }

    /// The parameters.
    pub fn params(&self) -> &KedaParams {
        &self.p
    }

    /// Current replicas.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// Advances to `now_ms`: polls (and syncs the HPA) when a poll is due.
    pub fn tick(&mut self, now_ms: u64, metric: u64) -> u32 {
        if now_ms >= self.next_poll_ms {
            self.next_poll_ms = now_ms + self.p.polling_secs * 1000;
            self.keda_poll(now_ms, metric);
            if self.replicas > 0 {
                self.hpa_sync(now_ms, metric);
            }
        }
        self.replicas
    }

    fn keda_poll(&mut self, now: u64, metric: u64) {
        let active = metric > self.p.activation;
        if active {
            self.last_active_ms = Some(now);
        }
        if self.replicas == 0 && active {
            self.replicas = self.p.min.max(1);
        } else if self.replicas > 0 && !active && self.p.min == 0 {
            let expired = self
                .last_active_ms
                .is_none_or(|t| t + self.p.cooldown_secs * 1000 < now);
            if expired {
                self.replicas = 0;
            }
        } else if self.replicas < self.p.min {
            self.replicas = self.p.min;
        }
    }

    fn hpa_sync(&mut self, now: u64, metric: u64) {
        let cur = self.replicas;
        // AverageValue external metric.
        let usage = metric as f64 / (self.p.target as f64 * f64::from(cur));
        let desired = if (1.0 - usage).abs() > HPA_TOLERANCE {
            u32::try_from(metric.div_ceil(self.p.target)).unwrap_or(u32::MAX)
        } else {
            cur
        };
        // Stabilisation over stored recommendations.
        let up_cut = now.checked_sub(self.p.up_window_secs * 1000);
        let down_cut = now.checked_sub(self.p.down_window_secs * 1000);
        let (mut up, mut down) = (desired, desired);
        for &(t, r) in &self.recommendations {
            if up_cut.is_none_or(|c| t > c) && self.p.up_window_secs > 0 {
                up = up.min(r);
            }
            if down_cut.is_none_or(|c| t > c) {
                down = down.max(r);
            }
        }
        let mut rec = cur;
        if rec < up {
            rec = up;
        }
        if rec > down {
            rec = down;
        }
        self.recommendations.push((now, desired));
        let keep = self.p.up_window_secs.max(self.p.down_window_secs) * 1000;
        self.recommendations.retain(|&(t, _)| t + keep > now);
        // Rate policies.
        if rec > cur {
            if let Some(pods) = self.p.up_pods_limit {
                rec = rec.min(cur.saturating_add(pods));
            }
        } else if let (true, Some(pct)) = (rec < cur, self.p.down_percent_limit) {
            let removable = (u64::from(cur) * u64::from(pct.min(100)) / 100) as u32;
            rec = rec.max(cur - removable);
        }
        self.replicas = rec.clamp(self.p.min.max(1), self.p.max.max(1));
    }
}
