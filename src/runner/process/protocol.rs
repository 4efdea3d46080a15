//! The control channel between the coordinator and a worker process: length-prefixed
//! frames on a Unix socket (the worker's fd 3), each one [`ToWorker`] or [`FromWorker`]
//! message. Test output never travels here: it goes to the worker's capture file.

use crate::outcome::Outcome;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// The worker's end of the channel.
pub(crate) const CONTROL_FD: i32 = 3;

/// What the coordinator tells a worker.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ToWorker {
    /// Run the test named `test` holding `leases` (pool name, slot).
    Run {
        test: String,
        leases: Vec<(String, u32)>,
    },
    /// The answer to [`FromWorker::Service`]: a URL, or why there is none.
    Service(Result<String, String>),
    /// Tear down and exit.
    Exit,
}

/// What a worker tells the coordinator.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FromWorker {
    /// The test ended: its outcome, its duration, and output not written to the capture
    /// file (panic reports kept by the hook, the temp-dir note).
    Finished {
        outcome: Outcome,
        duration: Duration,
        output: Vec<u8>,
    },
    /// A test asks for a server built once per run (`redis`, `postgres`).
    Service(String),
    /// Dropping a resource panicked at the worker's end.
    TeardownFailed { what: String, report: String },
}

/// Builds one frame's payload.
#[derive(Default)]
struct Encoder(Vec<u8>);

impl Encoder {
    fn u8(mut self, v: u8) -> Self {
        self.0.push(v);
        self
    }
    fn u32(mut self, v: u32) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(mut self, v: u64) -> Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn bytes(self, v: &[u8]) -> Self {
        let mut e = self.u32(v.len() as u32);
        e.0.extend_from_slice(v);
        e
    }
    fn str(self, v: &str) -> Self {
        self.bytes(v.as_bytes())
    }
    /// The frame: payload length, then the payload.
    fn frame(self) -> Vec<u8> {
        let mut out = (self.0.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(&self.0);
        out
    }
}

/// Reads one frame's payload.
struct Decoder<'a>(&'a [u8]);

fn malformed() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "malformed control message")
}

impl Decoder<'_> {
    fn take(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.0.len() < n {
            return Err(malformed());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> io::Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| malformed())?,
        ))
    }
    fn u64(&mut self) -> io::Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().map_err(|_| malformed())?,
        ))
    }
    fn bytes(&mut self) -> io::Result<Vec<u8>> {
        let n = self.u32()? as usize;
        Ok(self.take(n)?.to_vec())
    }
    fn string(&mut self) -> io::Result<String> {
        String::from_utf8(self.bytes()?).map_err(|_| malformed())
    }
}

impl ToWorker {
    /// The message as a frame.
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            ToWorker::Run { test, leases } => {
                let mut e = Encoder::default().u8(0).str(test).u32(leases.len() as u32);
                for (pool, slot) in leases {
                    e = e.str(pool).u32(*slot);
                }
                e
            }
            ToWorker::Service(Ok(url)) => Encoder::default().u8(1).str(url),
            ToWorker::Service(Err(why)) => Encoder::default().u8(2).str(why),
            ToWorker::Exit => Encoder::default().u8(3),
        }
        .frame()
    }

    /// The message in `payload`.
    pub(crate) fn decode(payload: &[u8]) -> io::Result<Self> {
        let mut d = Decoder(payload);
        Ok(match d.u8()? {
            0 => {
                let test = d.string()?;
                let leases = (0..d.u32()?)
                    .map(|_| Ok((d.string()?, d.u32()?)))
                    .collect::<io::Result<_>>()?;
                ToWorker::Run { test, leases }
            }
            1 => ToWorker::Service(Ok(d.string()?)),
            2 => ToWorker::Service(Err(d.string()?)),
            3 => ToWorker::Exit,
            _ => return Err(malformed()),
        })
    }
}

impl FromWorker {
    /// The message as a frame.
    pub(crate) fn encode(&self) -> Vec<u8> {
        match self {
            FromWorker::Finished {
                outcome,
                duration,
                output,
            } => {
                let e = match outcome {
                    Outcome::Passed => Encoder::default().u8(0),
                    Outcome::Failed { message: None } => Encoder::default().u8(1),
                    Outcome::Failed {
                        message: Some(message),
                    } => Encoder::default().u8(2).str(message),
                    // A worker runs only tests that run; an ignored result is a failure to
                    // report, not to hide.
                    Outcome::Ignored { .. } => Encoder::default()
                        .u8(2)
                        .str("partest: a worker reported an ignored test"),
                };
                e.u64(duration.as_nanos() as u64).bytes(output)
            }
            FromWorker::Service(name) => Encoder::default().u8(3).str(name),
            FromWorker::TeardownFailed { what, report } => {
                Encoder::default().u8(4).str(what).str(report)
            }
        }
        .frame()
    }

    /// The message in `payload`.
    pub(crate) fn decode(payload: &[u8]) -> io::Result<Self> {
        let mut d = Decoder(payload);
        let tag = d.u8()?;
        Ok(match tag {
            0..=2 => {
                let outcome = match tag {
                    0 => Outcome::Passed,
                    1 => Outcome::Failed { message: None },
                    _ => Outcome::Failed {
                        message: Some(d.string()?),
                    },
                };
                let duration = Duration::from_nanos(d.u64()?);
                FromWorker::Finished {
                    outcome,
                    duration,
                    output: d.bytes()?,
                }
            }
            3 => FromWorker::Service(d.string()?),
            4 => FromWorker::TeardownFailed {
                what: d.string()?,
                report: d.string()?,
            },
            _ => return Err(malformed()),
        })
    }
}

/// Collects frames from a stream that may deliver them in pieces.
#[derive(Default)]
pub(crate) struct FrameReader {
    buffer: Vec<u8>,
    /// The read timeout last given to the stream (`None`: not set yet): a system call
    /// spared per message when it does not change.
    timeout: Option<Option<Duration>>,
}

/// How waiting for a frame ended without one.
#[derive(Debug)]
pub(crate) enum NoFrame {
    /// The deadline passed.
    TimedOut,
    /// The other end closed the channel (its process died or exited).
    Closed,
    /// Reading failed.
    Failed(io::Error),
}

impl FrameReader {
    /// The next frame's payload from `stream`, waiting until `deadline` (for ever with
    /// `None`). `set_timeout` applies a read timeout to the stream.
    pub(crate) fn next<S: Read>(
        &mut self,
        stream: &mut S,
        deadline: Option<Instant>,
        set_timeout: impl Fn(&mut S, Option<Duration>) -> io::Result<()>,
    ) -> Result<Vec<u8>, NoFrame> {
        let mut chunk = [0u8; 8192];
        loop {
            if self.buffer.len() >= 4 {
                let len =
                    u32::from_le_bytes(self.buffer[..4].try_into().expect("4 bytes")) as usize;
                if self.buffer.len() >= 4 + len {
                    let payload = self.buffer[4..4 + len].to_vec();
                    self.buffer.drain(..4 + len);
                    return Ok(payload);
                }
            }
            let wait = match deadline {
                Some(at) => {
                    let left = at.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(NoFrame::TimedOut);
                    }
                    Some(left)
                }
                None => None,
            };
            if self.timeout != Some(wait) {
                set_timeout(stream, wait).map_err(NoFrame::Failed)?;
                self.timeout = Some(wait);
            }
            match stream.read(&mut chunk) {
                Ok(0) => return Err(NoFrame::Closed),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                    return Err(NoFrame::Closed)
                }
                Err(e) => return Err(NoFrame::Failed(e)),
            }
        }
    }
}

/// Writes one frame.
pub(crate) fn send(stream: &mut impl Write, frame: &[u8]) -> io::Result<()> {
    stream.write_all(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_back(frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
        // Delivered one byte at a time: frames are reassembled whatever the pieces.
        struct Trickle(Vec<u8>, usize);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.1 == self.0.len() {
                    return Ok(0);
                }
                buf[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let mut stream = Trickle(frames.concat(), 0);
        let mut reader = FrameReader::default();
        let mut out = Vec::new();
        while let Ok(payload) = reader.next(&mut stream, None, |_, _| Ok(())) {
            out.push(payload);
        }
        out
    }

    #[test]
    fn messages_survive_the_round_trip_in_pieces() {
        let to = [
            ToWorker::Run {
                test: "db::migrates".into(),
                leases: vec![("redis".into(), 3), ("gpu".into(), 0)],
            },
            ToWorker::Service(Ok("redis://127.0.0.1:1/".into())),
            ToWorker::Service(Err("no redis-server".into())),
            ToWorker::Exit,
        ];
        let from = [
            FromWorker::Finished {
                outcome: Outcome::Failed {
                    message: Some("note".into()),
                },
                duration: Duration::from_micros(1500),
                output: b"out\xff".to_vec(),
            },
            FromWorker::Finished {
                outcome: Outcome::Passed,
                duration: Duration::ZERO,
                output: Vec::new(),
            },
            FromWorker::Service("postgres".into()),
            FromWorker::TeardownFailed {
                what: "per_worker at a.rs:1:1".into(),
                report: "boom".into(),
            },
        ];
        let payloads = read_back(&to.iter().map(ToWorker::encode).collect::<Vec<_>>());
        let back: Vec<_> = payloads
            .iter()
            .map(|p| ToWorker::decode(p).unwrap())
            .collect();
        assert_eq!(back, to);
        let payloads = read_back(&from.iter().map(FromWorker::encode).collect::<Vec<_>>());
        let back: Vec<_> = payloads
            .iter()
            .map(|p| FromWorker::decode(p).unwrap())
            .collect();
        assert_eq!(back, from);
    }

    #[test]
    fn a_truncated_or_unknown_message_is_an_error() {
        assert!(ToWorker::decode(&[0, 9, 0, 0, 0, b'a']).is_err());
        assert!(FromWorker::decode(&[7]).is_err());
        assert!(ToWorker::decode(&[]).is_err());
    }
}
