//! Writing items as they arrive: json, ndjson, csv or an aligned table, all in
//! constant memory (the table measures its columns on the first rows only).
//!
//! Items are written from their typed values: json and ndjson serialize them
//! straight to the output, csv and table through reused cell buffers
//! (`cells`). The bytes are those of the writer that first made each item a
//! `serde_json::Value` (pinned by `cli/tests/golden/`): the generated types
//! serialize their fields in sorted order, as a `Value` sorts its keys.

mod cells;
mod json;

use std::io::{self, BufWriter, IsTerminal, Write};

use serde::Serialize;
use serde_json::Value;

use cells::Row;
use json::{Compact, Pretty};

/// How many rows the table reads before fixing its column widths.
const TABLE_SAMPLE: usize = 100;
/// The widest a table column gets; longer cells are cut with `…`.
const TABLE_MAX_WIDTH: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Ndjson,
    Csv,
    Table,
}

impl Format {
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "json" => Some(Format::Json),
            "ndjson" => Some(Format::Ndjson),
            "csv" => Some(Format::Csv),
            "table" => Some(Format::Table),
            _ => None,
        }
    }
}

/// How much output is gathered before a write when stdout is not a terminal.
const PIPE_BUFFER: usize = 64 * 1024;

/// Standard output, buffered. On a terminal, std's line-buffered stdout
/// behind an 8 KiB buffer, as always. Otherwise a 64 KiB buffer written
/// straight to a duplicate of the descriptor: through std's line buffer,
/// every chunk took two writes, split at its last newline.
pub fn stdout() -> BufWriter<Stdout> {
    let stdout = io::stdout();
    if !stdout.is_terminal() {
        #[cfg(unix)]
        if let Ok(fd) = std::os::fd::AsFd::as_fd(&stdout).try_clone_to_owned() {
            return BufWriter::with_capacity(PIPE_BUFFER, Stdout::Direct(fd.into()));
        }
    }
    BufWriter::new(Stdout::Std(stdout.lock()))
}

/// Where [`stdout`] writes.
pub enum Stdout {
    #[cfg_attr(
        not(unix),
        allow(dead_code, reason = "the descriptor is duplicated on unix only")
    )]
    Direct(std::fs::File),
    Std(io::StdoutLock<'static>),
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stdout::Direct(file) => file.write(buf),
            Stdout::Std(lock) => lock.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stdout::Direct(file) => file.flush(),
            Stdout::Std(lock) => lock.flush(),
        }
    }
}

/// A stream of items (objects, typically) in one format.
pub struct Sink<W: Write> {
    out: Out<W>,
    /// The columns the spec gives the items; the first item may add more.
    spec_columns: &'static [&'static str],
    columns: Option<Vec<String>>,
    written: u64,
    row: Row,
}

/// The output, as each format writes it.
enum Out<W: Write> {
    Json(W),
    Ndjson(W),
    Csv(Box<csv::Writer<W>>),
    Table(W, Table),
}

#[derive(Default)]
struct Table {
    /// The first rows, held until the column widths are fixed.
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
    /// The line being written (reused).
    line: String,
}

impl<W: Write> Sink<W> {
    pub fn new(format: Format, out: W, spec_columns: &'static [&'static str]) -> Self {
        let out = match format {
            Format::Json => Out::Json(out),
            Format::Ndjson => Out::Ndjson(out),
            // Records may differ in length (an item that is not an object), as they always could.
            Format::Csv => Out::Csv(Box::new(
                csv::WriterBuilder::new().flexible(true).from_writer(out),
            )),
            Format::Table => Out::Table(out, Table::default()),
        };
        Sink {
            out,
            spec_columns,
            columns: None,
            written: 0,
            row: Row::default(),
        }
    }

    /// Write one item.
    pub fn item<T: Serialize + ?Sized>(&mut self, item: &T) -> io::Result<()> {
        match &mut self.out {
            Out::Json(out) => {
                // Each item pretty-printed one level in, as an element of the array.
                out.write_all(if self.written == 0 {
                    b"[\n  "
                } else {
                    b",\n  "
                })?;
                item.serialize(&mut serde_json::Serializer::with_formatter(
                    &mut *out,
                    Pretty::new(1),
                ))?;
            }
            Out::Ndjson(out) => {
                item.serialize(&mut serde_json::Serializer::with_formatter(
                    &mut *out, Compact,
                ))?;
                out.write_all(b"\n")?;
            }
            Out::Csv(_) | Out::Table(..) => self.row_item(item)?,
        }
        self.written += 1;
        Ok(())
    }

    /// Write a single response (an operation that does not page): as itself in
    /// json and ndjson, as a one-row table or csv otherwise.
    #[allow(
        dead_code,
        reason = "used by the generated dispatch when the spec has an operation that does not page"
    )]
    pub fn single<T: Serialize + ?Sized>(mut self, response: &T) -> io::Result<()> {
        match &mut self.out {
            Out::Json(out) => {
                response.serialize(&mut serde_json::Serializer::with_formatter(
                    &mut *out,
                    Pretty::new(0),
                ))?;
                out.write_all(b"\n")?;
                out.flush()
            }
            _ => {
                self.item(response)?;
                self.finish()
            }
        }
    }

    /// End the output (close the JSON array, flush the table and csv).
    pub fn finish(mut self) -> io::Result<()> {
        let empty = self.written == 0;
        if matches!(self.out, Out::Csv(_) | Out::Table(..)) {
            self.ensure_columns(&Value::Null);
        }
        let columns = self.columns.as_deref().unwrap_or_default();
        match &mut self.out {
            Out::Json(out) => {
                out.write_all(if empty { b"[]\n" } else { b"\n]\n" })?;
                out.flush()
            }
            Out::Ndjson(out) => out.flush(),
            Out::Csv(csv) => {
                if empty && !self.spec_columns.is_empty() {
                    csv.write_record(columns).map_err(csv_error)?;
                }
                csv.flush()
            }
            Out::Table(out, table) => {
                if table.widths.is_none() {
                    table.fix_widths(out, columns)?;
                }
                out.flush()
            }
        }
    }

    /// A csv record or a table row: the item's cells, after the header on the first.
    fn row_item<T: Serialize + ?Sized>(&mut self, item: &T) -> io::Result<()> {
        let first = self.columns.is_none();
        if first {
            // Once per output: the first item as a `Value`, for its keys.
            let value = serde_json::to_value(item)?;
            self.ensure_columns(&value);
        }
        let columns = self.columns.as_deref().unwrap_or_default();
        self.row.fill(item, columns)?;
        match &mut self.out {
            Out::Csv(csv) => {
                if first {
                    csv.write_record(columns).map_err(csv_error)?;
                }
                csv.write_record(self.row.cells()).map_err(csv_error)
            }
            Out::Table(out, table) => table.row(out, self.row.cells(), columns),
            Out::Json(_) | Out::Ndjson(_) => Ok(()),
        }
    }

    /// Fix the columns on the first item: the spec's, then any others it has
    /// (in a `Value`'s key order).
    fn ensure_columns(&mut self, item: &Value) {
        let spec_columns = self.spec_columns;
        self.columns.get_or_insert_with(|| {
            let mut columns: Vec<String> = spec_columns.iter().map(|c| c.to_string()).collect();
            if let Value::Object(map) = item {
                columns.extend(
                    map.keys()
                        .filter(|k| !spec_columns.contains(&k.as_str()))
                        .cloned(),
                );
            } else if columns.is_empty() && !item.is_null() {
                columns.push("value".into());
            }
            columns
        });
    }
}

/// A csv error as an I/O error, keeping an I/O error's kind (a broken pipe stays one).
fn csv_error(e: csv::Error) -> io::Error {
    if !e.is_io_error() {
        return io::Error::other(e);
    }
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl Table {
    fn row<W: Write>(
        &mut self,
        out: &mut W,
        cells: &[Vec<u8>],
        columns: &[String],
    ) -> io::Result<()> {
        match &self.widths {
            Some(widths) => {
                let cells = cells.iter().map(|c| text(c));
                write_row(out, &mut self.line, cells, widths)
            }
            None => {
                let row = cells
                    .iter()
                    .map(|c| text(c).map(str::to_owned))
                    .collect::<io::Result<Vec<String>>>()?;
                self.pending.push(row);
                if self.pending.len() >= TABLE_SAMPLE {
                    self.fix_widths(out, columns)?;
                }
                Ok(())
            }
        }
    }

    /// Measure the sampled rows, print the header and them.
    fn fix_widths<W: Write>(&mut self, out: &mut W, header: &[String]) -> io::Result<()> {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &self.pending {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        for w in &mut widths {
            *w = (*w).min(TABLE_MAX_WIDTH);
        }
        if !header.is_empty() {
            let upper = header.iter().map(|h| Ok(h.to_uppercase()));
            write_row(out, &mut self.line, upper, &widths)?;
        }
        for row in std::mem::take(&mut self.pending) {
            write_row(
                out,
                &mut self.line,
                row.iter().map(|c| Ok(c.as_str())),
                &widths,
            )?;
        }
        self.widths = Some(widths);
        Ok(())
    }
}

/// A cell's bytes as text (they are: a `str`, or JSON).
fn text(cell: &[u8]) -> io::Result<&str> {
    std::str::from_utf8(cell).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// One table line: each cell on one line, padded or cut with `…` to its
/// column's width, two spaces between, no trailing whitespace.
fn write_row<W: Write, S: AsRef<str>>(
    out: &mut W,
    line: &mut String,
    cells: impl Iterator<Item = io::Result<S>>,
    widths: &[usize],
) -> io::Result<()> {
    line.clear();
    for (i, (cell, &width)) in cells.zip(widths).enumerate() {
        let cell = cell?;
        let cell = cell.as_ref();
        if i > 0 {
            line.push_str("  ");
        }
        let len = cell.chars().count();
        let shown = if len > width {
            width.saturating_sub(1)
        } else {
            len
        };
        line.extend(cell.chars().take(shown).map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c => c,
        }));
        if len > width {
            line.push('…');
        } else {
            line.extend(std::iter::repeat_n(' ', width - len));
        }
    }
    let end = line.trim_end().len();
    line.truncate(end);
    line.push('\n');
    out.write_all(line.as_bytes())
}

#[cfg(test)]
mod tests;
