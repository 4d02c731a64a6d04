//! The writer as it was before items stopped going through a
//! `serde_json::Value` (commit 40031ec), kept verbatim for the tests only:
//! the direct writer must write the same bytes for every item it meets.

use std::io::{self, Write};

use serde_json::Value;

use super::{Format, TABLE_MAX_WIDTH, TABLE_SAMPLE};

/// A stream of items (JSON objects) in one format.
pub struct ReferenceSink<W: Write> {
    format: Format,
    out: W,
    /// The columns the spec gives the items; the first item may add more.
    spec_columns: &'static [&'static str],
    columns: Option<Vec<String>>,
    written: u64,
    csv_buffer: Vec<u8>,
    table: Table,
}

#[derive(Default)]
struct Table {
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
}

impl<W: Write> ReferenceSink<W> {
    pub fn new(format: Format, out: W, spec_columns: &'static [&'static str]) -> Self {
        ReferenceSink {
            format,
            out,
            spec_columns,
            columns: None,
            written: 0,
            csv_buffer: Vec::new(),
            table: Table::default(),
        }
    }

    /// Write one item.
    pub fn item(&mut self, item: &Value) -> io::Result<()> {
        match self.format {
            Format::Json => {
                self.out
                    .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                let text = serde_json::to_string_pretty(item).map_err(io::Error::other)?;
                for (i, line) in text.lines().enumerate() {
                    if i > 0 {
                        self.out.write_all(b"\n")?;
                    }
                    write!(self.out, "  {line}")?;
                }
            }
            Format::Ndjson => {
                serde_json::to_writer(&mut self.out, item).map_err(io::Error::other)?;
                self.out.write_all(b"\n")?;
            }
            Format::Csv => {
                let first = self.columns.is_none();
                let row = self.row(item);
                if first {
                    let header = self.ensure_columns(item).to_vec();
                    self.csv_record(&header)?;
                }
                self.csv_record(&row)?;
            }
            Format::Table => {
                let row = self.row(item);
                self.table_row(row)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Write a single response (an operation that does not page): as itself in
    /// json and ndjson, as a one-row table or csv otherwise.
    pub fn single(mut self, response: &Value) -> io::Result<()> {
        match self.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut self.out, response).map_err(io::Error::other)?;
                self.out.write_all(b"\n")?;
                self.out.flush()
            }
            _ => {
                self.item(response)?;
                self.finish()
            }
        }
    }

    /// End the output (close the JSON array, flush the table and csv).
    pub fn finish(mut self) -> io::Result<()> {
        match self.format {
            Format::Json if self.written == 0 => self.out.write_all(b"[]\n")?,
            Format::Json => self.out.write_all(b"\n]\n")?,
            Format::Ndjson => {}
            Format::Csv => {
                if self.written == 0 && !self.spec_columns.is_empty() {
                    let header = self.ensure_columns(&Value::Null).to_vec();
                    self.csv_record(&header)?;
                }
            }
            Format::Table => {
                self.ensure_columns(&Value::Null);
                if self.table.widths.is_none() {
                    self.fix_widths()?;
                }
            }
        }
        self.out.flush()
    }

    /// Fix the columns on the first item: the spec's, then any others it has.
    fn ensure_columns(&mut self, item: &Value) -> &[String] {
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
        })
    }

    fn row(&mut self, item: &Value) -> Vec<String> {
        let columns = self.ensure_columns(item);
        let mut row: Vec<String> = match item {
            Value::Object(map) => columns.iter().map(|c| cell(map.get(c))).collect(),
            other => vec![cell(Some(other))],
        };
        row.resize(columns.len().max(1), String::new());
        row
    }

    fn csv_record(&mut self, record: &[String]) -> io::Result<()> {
        // A csv writer over a reused buffer, so the output stays ours (and
        // is written through as each record is complete).
        let mut writer = csv::Writer::from_writer(std::mem::take(&mut self.csv_buffer));
        writer.write_record(record).map_err(io::Error::other)?;
        let mut buffer = writer
            .into_inner()
            .map_err(|e| io::Error::other(e.to_string()))?;
        self.out.write_all(&buffer)?;
        buffer.clear();
        self.csv_buffer = buffer;
        Ok(())
    }

    fn table_row(&mut self, row: Vec<String>) -> io::Result<()> {
        match &self.table.widths {
            Some(widths) => {
                let line = format_row(&row, widths);
                writeln!(self.out, "{line}")
            }
            None => {
                self.table.pending.push(row);
                if self.table.pending.len() >= TABLE_SAMPLE {
                    self.fix_widths()?;
                }
                Ok(())
            }
        }
    }

    /// Measure the sampled rows, print the header and them.
    fn fix_widths(&mut self) -> io::Result<()> {
        let header = self.columns.clone().unwrap_or_default();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &self.table.pending {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        for w in &mut widths {
            *w = (*w).min(TABLE_MAX_WIDTH);
        }
        if !header.is_empty() {
            writeln!(
                self.out,
                "{}",
                format_row(
                    &header.iter().map(|h| h.to_uppercase()).collect::<Vec<_>>(),
                    &widths
                )
            )?;
        }
        for row in std::mem::take(&mut self.table.pending) {
            writeln!(self.out, "{}", format_row(&row, &widths))?;
        }
        self.table.widths = Some(widths);
        Ok(())
    }
}

/// A value as a csv or table cell: text as is, null as empty, objects and arrays as JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn format_row(row: &[String], widths: &[usize]) -> String {
    let cells: Vec<String> = row
        .iter()
        .zip(widths)
        .map(|(cell, &width)| {
            let cell = cell.replace(['\n', '\r', '\t'], " ");
            let len = cell.chars().count();
            if len > width {
                let cut: String = cell.chars().take(width.saturating_sub(1)).collect();
                format!("{cut}…")
            } else {
                format!("{cell}{}", " ".repeat(width - len))
            }
        })
        .collect();
    cells.join("  ").trim_end().to_string()
}
