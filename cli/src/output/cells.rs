//! A typed item as one row of csv or table cells, with no `serde_json::Value`
//! in between: a `serde::Serializer` writes each top-level field into its
//! column's buffer (buffers reused from row to row).
//!
//! A cell reads as it always has: text as is, null or absent as empty,
//! numbers and bools as JSON text, objects and arrays as compact JSON. An item
//! that is not an object fills the first cell. The rare shapes this does not
//! take apart itself (an enum variant carrying data at the top level, a map
//! keyed by something other than text) go through a `Value`, as every item
//! once did.

use std::fmt::Display;
use std::io::{self, Write};

use serde::ser::{self, Impossible, Serialize};

use super::json::Compact;

/// The cells of the latest row: one buffer per column (at least one).
#[derive(Default)]
pub struct Row {
    cells: Vec<Vec<u8>>,
    key: Vec<u8>,
}

impl Row {
    pub fn cells(&self) -> &[Vec<u8>] {
        &self.cells
    }

    /// Fill the row from `item`, one cell per column in `columns` (at least one cell).
    pub fn fill<T: Serialize + ?Sized>(&mut self, item: &T, columns: &[String]) -> io::Result<()> {
        match self.try_fill(item, columns) {
            Err(Shape::Unusual) => {
                let value = serde_json::to_value(item).map_err(io::Error::from)?;
                self.try_fill(&value, columns)
            }
            other => other,
        }
        .map_err(|e| match e {
            Shape::Json(e) => io::Error::from(e),
            _ => io::Error::other("an item's shape cannot be written as cells"),
        })
    }

    fn try_fill<T: Serialize + ?Sized>(
        &mut self,
        item: &T,
        columns: &[String],
    ) -> Result<(), Shape> {
        self.clear(columns.len().max(1));
        match item.serialize(RowSerializer {
            cells: &mut self.cells,
            columns,
            key: &mut self.key,
        }) {
            Err(Shape::NotAnObject) => {
                self.clear(columns.len().max(1));
                match self.cells.first_mut() {
                    Some(first) => write_cell(first, item).map_err(Shape::Json),
                    None => Ok(()),
                }
            }
            other => other,
        }
    }

    fn clear(&mut self, len: usize) {
        self.cells.resize_with(len, Vec::new);
        for cell in &mut self.cells {
            cell.clear();
        }
    }
}

/// Write `value` as one cell into `cell` (emptied first).
fn write_cell<T: Serialize + ?Sized>(
    cell: &mut Vec<u8>,
    value: &T,
) -> Result<(), serde_json::Error> {
    cell.clear();
    match value.serialize(CellSerializer { cell: &mut *cell }) {
        Err(Shape::Compound) => {
            cell.clear();
            value.serialize(&mut serde_json::Serializer::with_formatter(cell, Compact))
        }
        Err(Shape::Json(e)) => Err(e),
        _ => Ok(()),
    }
}

/// Why a value is not written as the serializer it met would: each case
/// falls back to a more general way of writing it.
#[derive(Debug)]
enum Shape {
    /// A scalar or an array at the top: it fills the first cell.
    NotAnObject,
    /// A shape taken apart through a `Value` instead.
    Unusual,
    /// An object or an array in a cell: written as compact JSON instead.
    Compound,
    Json(serde_json::Error),
}

impl std::fmt::Display for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Shape::NotAnObject => f.write_str("not an object"),
            Shape::Unusual => f.write_str("an unusual shape"),
            Shape::Compound => f.write_str("an object or an array"),
            Shape::Json(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Shape {}

impl ser::Error for Shape {
    fn custom<M: Display>(msg: M) -> Self {
        Shape::Json(<serde_json::Error as ser::Error>::custom(msg))
    }
}

/// The top level of an item: an object's fields go to their columns.
struct RowSerializer<'a> {
    cells: &'a mut [Vec<u8>],
    columns: &'a [String],
    key: &'a mut Vec<u8>,
}

/// The fields of a top-level object (a struct or a map).
struct Fields<'a> {
    cells: &'a mut [Vec<u8>],
    columns: &'a [String],
    /// The column of the map key just read, if it is one.
    pending: Option<usize>,
    /// The map key just read, as a cell reads (reused).
    key: &'a mut Vec<u8>,
}

impl Fields<'_> {
    fn field<T: Serialize + ?Sized>(
        &mut self,
        column: Option<usize>,
        value: &T,
    ) -> Result<(), Shape> {
        // A key that is not a column is not written (a repeated key: the last one wins).
        match column.and_then(|i| self.cells.get_mut(i)) {
            Some(cell) => write_cell(cell, value).map_err(Shape::Json),
            None => Ok(()),
        }
    }

    fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == key)
    }
}

macro_rules! not_an_object {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, _: $ty) -> Result<(), Shape> {
            Err(Shape::NotAnObject)
        })*
    };
}

impl<'a> ser::Serializer for RowSerializer<'a> {
    type Ok = ();
    type Error = Shape;
    type SerializeSeq = Impossible<(), Shape>;
    type SerializeTuple = Impossible<(), Shape>;
    type SerializeTupleStruct = Impossible<(), Shape>;
    type SerializeTupleVariant = Impossible<(), Shape>;
    type SerializeMap = Fields<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Impossible<(), Shape>;

    not_an_object!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
    );

    fn serialize_none(self) -> Result<(), Shape> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Shape> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Shape> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Shape> {
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Shape> {
        Err(Shape::NotAnObject)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Shape> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Shape> {
        Err(Shape::Unusual)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Shape> {
        Err(Shape::NotAnObject)
    }

    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Shape> {
        Err(Shape::NotAnObject)
    }

    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Shape> {
        Err(Shape::NotAnObject)
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Shape> {
        Err(Shape::Unusual)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Shape> {
        Ok(Fields {
            cells: self.cells,
            columns: self.columns,
            pending: None,
            key: self.key,
        })
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Shape> {
        Ok(Fields {
            cells: self.cells,
            columns: self.columns,
            pending: None,
            key: self.key,
        })
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Shape> {
        Err(Shape::Unusual)
    }
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = Shape;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Shape> {
        let column = self.column(key);
        self.field(column, value)
    }

    fn end(self) -> Result<(), Shape> {
        Ok(())
    }
}

impl ser::SerializeMap for Fields<'_> {
    type Ok = ();
    type Error = Shape;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Shape> {
        // A key reads as a cell would; one that is not text or a number
        // (an object, an array) is unusual.
        self.key.clear();
        match key.serialize(CellSerializer {
            cell: &mut *self.key,
        }) {
            Ok(()) => {
                let text = std::str::from_utf8(self.key).unwrap_or_default();
                self.pending = self.column(text);
                Ok(())
            }
            Err(Shape::Json(e)) => Err(Shape::Json(e)),
            Err(_) => Err(Shape::Unusual),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Shape> {
        let column = self.pending.take();
        self.field(column, value)
    }

    fn end(self) -> Result<(), Shape> {
        Ok(())
    }
}

/// One cell: text as is, null as empty, a number or a bool as JSON; an object
/// or an array is `Compound` (and written as compact JSON by `write_cell`).
struct CellSerializer<'a> {
    cell: &'a mut Vec<u8>,
}

impl CellSerializer<'_> {
    /// A number or a bool, as compact JSON writes it.
    fn json<T: Serialize>(self, value: T) -> Result<(), Shape> {
        value
            .serialize(&mut serde_json::Serializer::with_formatter(
                self.cell, Compact,
            ))
            .map_err(Shape::Json)
    }
}

macro_rules! as_json {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(fn $method(self, v: $ty) -> Result<(), Shape> {
            self.json(v)
        })*
    };
}

macro_rules! compound {
    ($($method:ident($($ty:ty),*) -> $ret:ty),* $(,)?) => {
        $(fn $method(self, $(_: $ty),*) -> Result<$ret, Shape> {
            Err(Shape::Compound)
        })*
    };
}

impl ser::Serializer for CellSerializer<'_> {
    type Ok = ();
    type Error = Shape;
    type SerializeSeq = Impossible<(), Shape>;
    type SerializeTuple = Impossible<(), Shape>;
    type SerializeTupleStruct = Impossible<(), Shape>;
    type SerializeTupleVariant = Impossible<(), Shape>;
    type SerializeMap = Impossible<(), Shape>;
    type SerializeStruct = Impossible<(), Shape>;
    type SerializeStructVariant = Impossible<(), Shape>;

    as_json!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
    );

    compound!(
        serialize_bytes(&[u8]) -> (),
        serialize_seq(Option<usize>) -> Self::SerializeSeq,
        serialize_tuple(usize) -> Self::SerializeTuple,
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct,
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant,
        serialize_map(Option<usize>) -> Self::SerializeMap,
        serialize_struct(&'static str, usize) -> Self::SerializeStruct,
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant,
    );

    // A float that is not finite is a `Value`'s null: an empty cell.
    fn serialize_f32(self, v: f32) -> Result<(), Shape> {
        if v.is_finite() { self.json(v) } else { Ok(()) }
    }

    fn serialize_f64(self, v: f64) -> Result<(), Shape> {
        if v.is_finite() { self.json(v) } else { Ok(()) }
    }

    fn serialize_char(self, v: char) -> Result<(), Shape> {
        self.cell
            .extend_from_slice(v.encode_utf8(&mut [0; 4]).as_bytes());
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Shape> {
        self.cell.extend_from_slice(v.as_bytes());
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Shape> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Shape> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Shape> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Shape> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Shape> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Shape> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Shape> {
        Err(Shape::Compound)
    }

    fn collect_str<T: Display + ?Sized>(self, value: &T) -> Result<(), Shape> {
        // Straight into the cell, without the `String` the default makes.
        write!(self.cell, "{value}").map_err(<Shape as ser::Error>::custom)
    }
}
