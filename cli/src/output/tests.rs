use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::*;

const FORMATS: [Format; 4] = [Format::Json, Format::Ndjson, Format::Csv, Format::Table];

fn render<T: Serialize>(format: Format, columns: &'static [&'static str], items: &[T]) -> String {
    let mut out = Vec::new();
    let mut sink = Sink::new(format, &mut out, columns);
    for item in items {
        sink.item(item).unwrap();
    }
    sink.finish().unwrap();
    String::from_utf8(out).unwrap()
}

/// What the writer writes when every item is made a `Value` first, as the
/// first version did (its bytes are pinned by `cli/tests/golden/`).
fn render_reference<T: Serialize>(
    format: Format,
    columns: &'static [&'static str],
    items: &[T],
) -> String {
    let values: Vec<Value> = items
        .iter()
        .map(|item| serde_json::to_value(item).unwrap())
        .collect();
    render(format, columns, &values)
}

/// Every format, for several column sets and lengths (below, at and past the
/// table's sample), byte for byte against the item's `Value`.
fn assert_same_as_reference<T: Serialize>(items: &[T]) {
    let column_sets: [&'static [&'static str]; 4] = [
        &["id", "name"],
        &[],
        &["id", "amount", "missing"],
        &["value"],
    ];
    for columns in column_sets {
        for len in [
            0,
            1,
            7,
            TABLE_SAMPLE - 1,
            TABLE_SAMPLE,
            TABLE_SAMPLE + 1,
            items.len(),
        ] {
            let items = &items[..len.min(items.len())];
            for format in FORMATS {
                let new = render(format, columns, items);
                let old = render_reference(format, columns, items);
                assert_eq!(
                    new,
                    old,
                    "{format:?}, columns {columns:?}, {} items",
                    items.len()
                );
            }
        }
    }
}

#[derive(Serialize, Clone, Copy)]
enum Kind {
    #[serde(rename = "first_kind")]
    First,
    #[serde(rename = "second")]
    Second,
}

#[derive(Serialize, Clone)]
enum Shape {
    Circle(f64),
    Point(i32, i32),
    Rect { h: u32, w: u32 },
    Empty,
}

#[derive(Serialize, Clone)]
struct Nested {
    a: String,
    b: Option<Vec<u8>>,
}

#[derive(Serialize, Clone)]
struct Unit;

#[derive(Serialize, Clone)]
struct Id(String);

/// Fields declared in sorted order, as the generated types are.
#[derive(Serialize, Clone)]
struct Sample {
    amount: f64,
    big: i128,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<u64>,
    empty: BTreeMap<String, Value>,
    flag: bool,
    id: Id,
    kind: Kind,
    letter: char,
    meta: BTreeMap<String, Value>,
    name: Option<String>,
    nested: Option<Nested>,
    nothing: (),
    ratio: f32,
    shape: Shape,
    tags: Vec<String>,
    unit: Unit,
}

const TEXTS: [&str; 14] = [
    "plain",
    "",
    "a,b",
    "quote\"d",
    "multi\nline",
    "tab\tbed\r\n",
    "é漢字🙂",
    "ends in a no-break space\u{a0}",
    "trailing spaces   ",
    "   ",
    "a cell much longer than fifty characters, which the table cuts with an ellipsis",
    "éééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
    "ß upper",
    "\u{1b}[31mescape\u{7f}",
];

fn sample(i: usize) -> Sample {
    let text = TEXTS[i % TEXTS.len()];
    let floats = [
        1.0,
        0.1,
        -0.0,
        1e300,
        123.456,
        f64::NAN,
        f64::INFINITY,
        5e-324,
    ];
    let mut meta = BTreeMap::new();
    if i.is_multiple_of(3) {
        meta.insert("note".to_string(), json!(text));
        meta.insert("n".to_string(), json!(i));
        meta.insert(
            "list".to_string(),
            json!([1, "two", null, {"z": 1, "a": 2}]),
        );
    }
    Sample {
        amount: floats[i % floats.len()],
        big: i128::from(i as u64) * 1_000_000_007,
        count: (!i.is_multiple_of(4)).then_some(i as u64),
        empty: BTreeMap::new(),
        flag: i.is_multiple_of(2),
        id: Id(format!("id-{i}-{text}")),
        kind: if i.is_multiple_of(5) {
            Kind::First
        } else {
            Kind::Second
        },
        letter: text.chars().next().unwrap_or('\t'),
        meta,
        name: (i % 6 != 1).then(|| text.to_string()),
        nested: (i % 2 == 1).then(|| Nested {
            a: text.to_string(),
            b: (i % 4 == 1).then(|| vec![0, 1, 255]),
        }),
        nothing: (),
        ratio: [0.1f32, 1.5, f32::NAN, 3.4e38][i % 4],
        shape: match i % 4 {
            0 => Shape::Circle(0.5),
            1 => Shape::Point(-1, 2),
            2 => Shape::Rect { h: 3, w: 4 },
            _ => Shape::Empty,
        },
        tags: (0..i % 3).map(|t| format!("t{t}")).collect(),
        unit: Unit,
    }
}

#[test]
fn typed_items_write_what_their_values_wrote() {
    let items: Vec<Sample> = (0..130).map(sample).collect();
    assert_same_as_reference(&items);
}

#[test]
fn value_items_of_every_shape_write_what_they_wrote() {
    let mut items: Vec<Value> = Vec::new();
    for i in 0..120 {
        let text = TEXTS[i % TEXTS.len()];
        items.push(match i % 12 {
            // Not objects: a scalar or an array fills the first cell.
            7 => json!(text),
            8 => json!(i),
            9 => Value::Null,
            10 => json!([text, i]),
            // Keys the spec does not list, and ones it does.
            _ => json!({"id": format!("v{i}"), "zeta": text, "alpha": {"k": i}, "name": null, "amount": 1.5}),
        });
    }
    assert_same_as_reference(&items);
    // A first item that is not an object: with no spec columns, one `value` column.
    let mut scalars_first = items.clone();
    scalars_first.rotate_left(7);
    assert_same_as_reference(&scalars_first);
    let nulls = vec![Value::Null; 3];
    assert_same_as_reference(&nulls);
    let empty_objects = vec![json!({}); 3];
    assert_same_as_reference(&empty_objects);
}

#[test]
fn unusual_top_level_shapes_write_what_they_wrote() {
    // Enum variants with data, maps keyed by numbers, bare scalars of every kind.
    let shapes: Vec<Shape> = (0..12)
        .map(|i| match i % 4 {
            0 => Shape::Circle(f64::from(i)),
            1 => Shape::Point(i, -i),
            2 => Shape::Rect { h: 1, w: 2 },
            _ => Shape::Empty,
        })
        .collect();
    assert_same_as_reference(&shapes);
    let numbered: Vec<BTreeMap<u32, String>> = (0..5)
        .map(|i| (0..i).map(|k| (k, format!("v{k}"))).collect())
        .collect();
    assert_same_as_reference(&numbered);
    assert_same_as_reference(&[Some(1.5f32), None, Some(f32::NAN)]);
    assert_same_as_reference(&[Kind::First, Kind::Second]);
    assert_same_as_reference(&['x', '\n']);
    assert_same_as_reference(&[Unit, Unit]);
    assert_same_as_reference(&[vec![1u8, 2], vec![]]);
    assert_same_as_reference(&[Some(sample(3)), None, Some(sample(4))]);
}

#[test]
fn single_responses_write_what_they_wrote() {
    for format in FORMATS {
        let column_sets: [&'static [&'static str]; 2] = [&["id", "name"], &[]];
        for columns in column_sets {
            let mut new = Vec::new();
            Sink::new(format, &mut new, columns)
                .single(&sample(3))
                .unwrap();
            let mut old = Vec::new();
            Sink::new(format, &mut old, columns)
                .single(&serde_json::to_value(sample(3)).unwrap())
                .unwrap();
            assert_eq!(
                String::from_utf8(new).unwrap(),
                String::from_utf8(old).unwrap(),
                "{format:?}"
            );
        }
    }
}

/// The direct writer equals the old one only while the generated types
/// serialize their fields in sorted order (typify sorts them), as a `Value`
/// sorts its keys: this fails first if a spec change breaks that.
#[test]
fn the_spec_item_types_serialize_as_their_values_do() {
    let intent: ingo_banking::types::PaymentIntent = serde_json::from_value(json!({
        "id": "ptra-1", "amount": "12.50", "currency": "usd", "direction": "debit",
        "action": "hold", "category": "wire", "status": "returned", "entity_type": "business",
        "entity_id": "buss-1", "idempotent_key": "k-1", "posting_date": "2026-01-02T03:04:05Z",
        "metadata": {"b": 1, "a": [true, null]}
    }))
    .unwrap();
    let contact: ingo_banking::types::Contact = serde_json::from_value(json!({
        "id": "cont-1", "contact_type": "customers", "first_name": "Ada", "last_name": "L",
        "business_name": "B, Inc.", "email": "a@example.com", "phone_number": "+1 555"
    }))
    .unwrap();
    assert_eq!(
        serde_json::to_string(&intent).unwrap(),
        serde_json::to_value(&intent).unwrap().to_string()
    );
    assert_eq!(
        serde_json::to_string(&contact).unwrap(),
        serde_json::to_value(&contact).unwrap().to_string()
    );
    assert_same_as_reference(&vec![intent; 3]);
    assert_same_as_reference(&vec![contact; 3]);
}

#[test]
fn json_is_an_array_even_when_streamed() {
    let items = [json!({"id": "a"}), json!({"id": "b", "meta": {"k": 1}})];
    let parsed: Value =
        serde_json::from_str(&render(Format::Json, &["id", "name"], &items)).unwrap();
    assert_eq!(parsed, json!(items));
    assert_eq!(
        render::<Value>(Format::Json, &["id", "name"], &[]).trim(),
        "[]"
    );
}

#[test]
fn csv_has_spec_columns_then_extras_and_nested_json() {
    let items = [
        json!({"id": "a", "extra": {"k": 1}}),
        json!({"id": "b", "name": "x,y"}),
    ];
    let text = render(Format::Csv, &["id", "name"], &items);
    assert_eq!(text, "id,name,extra\na,,\"{\"\"k\"\":1}\"\nb,\"x,y\",\n");
    assert_eq!(
        render::<Value>(Format::Csv, &["id", "name"], &[]),
        "id,name\n"
    );
}

#[test]
fn table_aligns_and_cuts_long_cells() {
    let long = "x".repeat(60);
    let text = render(
        Format::Table,
        &["id", "name"],
        &[json!({"id": "a", "name": long}), json!({"id": "bbb"})],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "ID   NAME");
    assert!(lines[1].ends_with('…'));
    assert_eq!(lines[1].chars().count(), 5 + TABLE_MAX_WIDTH);
    assert_eq!(lines[2], "bbb");
}
