//! Saving and loading models.
//!
//! File layout: the 8-byte magic `OMEGACLF`, the format version (u32, little endian), then one
//! gzip stream (its CRC-32 detects corruption) holding: a u32 length and a JSON header
//! ([`Header`]), the IDF table (`2^hashBits` f32), the known-word hashes (u64 count, then u64s),
//! the biases (one f32 per label) and the non-zero weight rows (u32 count, then per row a u32
//! feature index and one f32 per label). Integers and floats are little endian.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ClassifierError;
use crate::features::{FeatureConfig, Featurizer};
use crate::model::Model;
use crate::svm::LinearModel;

/// The model file format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &[u8; 8] = b"OMEGACLF";

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Header {
    labels: Vec<String>,
    features: FeatureConfig,
    temperature: f64,
    abstain_threshold: f64,
    min_known_words: f64,
    update_aggressiveness: f32,
    trained_examples: u64,
    updates: u64,
}

fn io_err<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> ClassifierError + 'a {
    move |source| ClassifierError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl Model {
    /// Writes the model to `path` (atomically: a temporary file beside it is renamed into place).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ClassifierError> {
        let path = path.as_ref();
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(".tmp");
        let tmp = path.with_file_name(tmp_name);
        let file = File::create(&tmp).map_err(io_err("create", &tmp))?;
        let mut out = BufWriter::new(file);
        out.write_all(MAGIC).map_err(io_err("write", &tmp))?;
        out.write_all(&FORMAT_VERSION.to_le_bytes())
            .map_err(io_err("write", &tmp))?;
        let mut gz = BufWriter::with_capacity(
            1 << 16,
            flate2::write::GzEncoder::new(out, flate2::Compression::fast()),
        );
        self.write_body(&mut gz).map_err(io_err("write", &tmp))?;
        let enc = gz
            .into_inner()
            .map_err(|e| io_err("write", &tmp)(e.into_error()))?;
        let out = enc.finish().map_err(io_err("write", &tmp))?;
        let file = out
            .into_inner()
            .map_err(|e| io_err("write", &tmp)(e.into_error()))?;
        file.sync_all().map_err(io_err("sync", &tmp))?;
        std::fs::rename(&tmp, path).map_err(io_err("rename", path))?;
        Ok(())
    }

    fn write_body(&self, w: &mut impl Write) -> std::io::Result<()> {
        let header = Header {
            labels: self.labels.clone(),
            features: self.featurizer.config.clone(),
            temperature: self.temperature,
            abstain_threshold: self.abstain_threshold,
            min_known_words: self.min_known_words,
            update_aggressiveness: self.update_aggressiveness,
            trained_examples: self.trained_examples,
            updates: self.updates,
        };
        let json = serde_json::to_vec(&header)?;
        w.write_all(&(json.len() as u32).to_le_bytes())?;
        w.write_all(&json)?;
        for v in &self.featurizer.idf {
            w.write_all(&v.to_le_bytes())?;
        }
        let mut known: Vec<u64> = self.featurizer.known_words.iter().copied().collect();
        known.sort_unstable();
        w.write_all(&(known.len() as u64).to_le_bytes())?;
        for h in known {
            w.write_all(&h.to_le_bytes())?;
        }
        for b in &self.linear.bias {
            w.write_all(&b.to_le_bytes())?;
        }
        let k = self.linear.classes;
        let rows: Vec<(usize, &[f32])> = self
            .linear
            .weights
            .chunks_exact(k)
            .enumerate()
            .filter(|(_, r)| r.iter().any(|&v| v != 0.0))
            .collect();
        w.write_all(&(rows.len() as u32).to_le_bytes())?;
        for (i, row) in rows {
            w.write_all(&(i as u32).to_le_bytes())?;
            for v in row {
                w.write_all(&v.to_le_bytes())?;
            }
        }
        Ok(())
    }

    /// Reads a model written by [`Model::save`]. A truncated, corrupted or foreign file gives
    /// [`ClassifierError::CorruptModel`]; a file from an incompatible release gives
    /// [`ClassifierError::UnsupportedVersion`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ClassifierError> {
        let path = path.as_ref();
        let corrupt = |message: String| ClassifierError::CorruptModel {
            path: path.to_path_buf(),
            message,
        };
        let mut file = File::open(path).map_err(io_err("open", path))?;
        let mut head = [0u8; 12];
        file.read_exact(&mut head)
            .map_err(|_| corrupt("file is shorter than the 12-byte header".into()))?;
        if &head[..8] != MAGIC {
            return Err(corrupt(
                "missing the OMEGACLF magic bytes; is this a classifier model?".into(),
            ));
        }
        let version = u32::from_le_bytes(head[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(ClassifierError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let mut body = Vec::new();
        flate2::read::GzDecoder::new(std::io::BufReader::new(file))
            .read_to_end(&mut body)
            .map_err(|e| corrupt(format!("compressed body is damaged or truncated ({e})")))?;
        Self::read_body(&body).map_err(corrupt)
    }

    fn read_body(body: &[u8]) -> Result<Self, String> {
        let mut r = Cursor { buf: body, pos: 0 };
        let json_len = r.u32()? as usize;
        let header: Header = serde_json::from_slice(r.take(json_len)?)
            .map_err(|e| format!("header is not valid: {e}"))?;
        header.features.validate().map_err(|e| e.to_string())?;
        let k = header.labels.len();
        if k == 0 {
            return Err("model has no labels".into());
        }
        let dims = header.features.dims();
        let idf = (0..dims).map(|_| r.f32()).collect::<Result<Vec<_>, _>>()?;
        let n_known = r.u64()?;
        if n_known > (body.len() / 8) as u64 {
            return Err("known-word count exceeds the file size".into());
        }
        let known_words = (0..n_known).map(|_| r.u64()).collect::<Result<_, _>>()?;
        let bias = (0..k).map(|_| r.f32()).collect::<Result<Vec<_>, _>>()?;
        let mut weights = vec![0f32; dims * k];
        let rows = r.u32()?;
        for _ in 0..rows {
            let i = r.u32()? as usize;
            if i >= dims {
                return Err(format!(
                    "weight row {i} is outside the feature space of {dims}"
                ));
            }
            for c in 0..k {
                weights[i * k + c] = r.f32()?;
            }
        }
        if r.pos != body.len() {
            return Err(format!("{} unexpected trailing bytes", body.len() - r.pos));
        }
        Ok(Self {
            labels: header.labels,
            featurizer: Featurizer {
                config: header.features,
                idf,
                known_words,
            },
            linear: LinearModel {
                classes: k,
                weights,
                bias,
            },
            temperature: header.temperature,
            abstain_threshold: header.abstain_threshold,
            min_known_words: header.min_known_words,
            update_aggressiveness: header.update_aggressiveness,
            trained_examples: header.trained_examples,
            updates: header.updates,
        })
    }
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or("body ends early (truncated)")?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
    fn f32(&mut self) -> Result<f32, String> {
        let v = f32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes"));
        if v.is_finite() {
            Ok(v)
        } else {
            Err("non-finite number in the model".into())
        }
    }
}
