//! Running an extraction tool: input on stdin or as a file argument, stdout
//! read up to a cap, stderr kept for the error message, the whole run under a
//! timeout, the process killed when it runs over or writes too much.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::{ExtractError, ExtractLimits};

/// How much of a tool's stderr is kept for the error message.
const MAX_STDERR_BYTES: usize = 2048;

/// Where the tool reads the file from.
pub(crate) enum Input<'a> {
    /// Written to the tool's stdin.
    Stdin(&'a [u8]),
    /// Nothing on stdin (the file is an argument).
    None,
}

/// Runs `tool args…` and returns its stdout, or why not.
pub(crate) async fn run(
    tool: &Path,
    args: &[&OsStr],
    input: Input<'_>,
    hint: &'static str,
    limits: &ExtractLimits,
) -> Result<Vec<u8>, ExtractError> {
    let name = tool.display().to_string();
    let mut command = Command::new(tool);
    command
        .args(args)
        .stdin(match input {
            Input::Stdin(_) => Stdio::piped(),
            Input::None => Stdio::null(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(ExtractError::ToolMissing { tool: name, hint })
        }
        Err(source) => return Err(ExtractError::Io { tool: name, source }),
    };

    let writer = match (input, child.stdin.take()) {
        (Input::Stdin(bytes), Some(mut stdin)) => {
            let bytes = bytes.to_vec();
            Some(tokio::spawn(async move {
                // A tool that stops reading early (a corrupt file) closes the
                // pipe; its exit status tells what happened.
                let _ = stdin.write_all(&bytes).await;
                let _ = stdin.shutdown().await;
            }))
        }
        _ => None,
    };
    let stderr_reader = child.stderr.take().map(|mut stderr| {
        tokio::spawn(async move {
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match stderr.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let room = MAX_STDERR_BYTES.saturating_sub(kept.len());
                        kept.extend_from_slice(&buf[..n.min(room)]);
                    }
                }
            }
            kept
        })
    });
    let Some(mut stdout) = child.stdout.take() else {
        return Err(ExtractError::Io {
            tool: name,
            source: std::io::Error::other("the tool's stdout was not captured"),
        });
    };

    let limit = limits.max_output_bytes;
    let work = async {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = stdout
                .read(&mut buf)
                .await
                .map_err(|source| ExtractError::Io {
                    tool: name.clone(),
                    source,
                })?;
            if n == 0 {
                break;
            }
            if out.len() + n > limit {
                return Err(ExtractError::OutputTooLarge { limit });
            }
            out.extend_from_slice(&buf[..n]);
        }
        let status = child.wait().await.map_err(|source| ExtractError::Io {
            tool: name.clone(),
            source,
        })?;
        Ok((out, status))
    };
    let outcome = tokio::time::timeout(limits.timeout, work).await;
    let (out, status) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(error)) => {
            let _ = child.kill().await;
            abort(writer, stderr_reader);
            return Err(error);
        }
        Err(_) => {
            let _ = child.kill().await;
            abort(writer, stderr_reader);
            return Err(ExtractError::Timeout {
                tool: name,
                seconds: limits.timeout.as_secs_f64(),
            });
        }
    };
    if let Some(writer) = writer {
        let _ = writer.await;
    }
    let stderr = match stderr_reader {
        Some(reader) => reader.await.unwrap_or_default(),
        None => Vec::new(),
    };
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let stderr = stderr.split_whitespace().collect::<Vec<_>>().join(" ");
        return Err(ExtractError::ToolFailed {
            tool: name,
            status: status.to_string(),
            stderr: if stderr.is_empty() {
                "no message".into()
            } else {
                stderr
            },
        });
    }
    Ok(out)
}

fn abort(
    writer: Option<tokio::task::JoinHandle<()>>,
    stderr_reader: Option<tokio::task::JoinHandle<Vec<u8>>>,
) {
    if let Some(writer) = writer {
        writer.abort();
    }
    if let Some(reader) = stderr_reader {
        reader.abort();
    }
}
