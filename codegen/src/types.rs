//! What typify makes of the spec, asked of typify itself: the type space
//! progenitor built (`Generator::get_type_space`), and small probes for the
//! names typify gives a property or a schema. Nothing here reads generated
//! tokens back or copies typify's naming rules, so an upgrade that changes
//! them changes the extras with them (and the snapshot test shows it).

use std::cell::RefCell;
use std::collections::HashMap;

use proc_macro2::TokenStream;
use typify_impl::{TypeDetails, TypeId, TypeSpace, TypeSpaceSettings};

/// One field of a struct typify generated.
#[derive(Clone)]
pub struct Field {
    /// The Rust name, e.g. `type_`.
    pub rust: String,
    /// The JSON name, e.g. `type`.
    pub json: String,
    /// The field's type, e.g. `::std::option::Option<i64>`.
    pub ty: TokenStream,
    /// The type inside `Option<…>`, if the field is optional.
    pub optional_inner: Option<TokenStream>,
    /// The type (or the type inside the option) is `String`.
    pub is_string: bool,
    /// The type space's id of the value type (inside the option, if optional).
    pub value_id: TypeId,
}

impl Field {
    /// The type a value of the field has (inside the option, if optional).
    pub fn value_type(&self) -> &TokenStream {
        self.optional_inner.as_ref().unwrap_or(&self.ty)
    }
}

/// A throwaway type space holding one schema named `name`.
fn probe(name: &str, schema: serde_json::Value) -> Result<TypeSpace, String> {
    let schema: schemars::schema::Schema =
        serde_json::from_value(schema).map_err(|e| format!("probe schema: {e}"))?;
    let mut space = TypeSpace::new(&TypeSpaceSettings::default());
    without_panics(|| space.add_ref_types([(name, schema)]))?.map_err(|e| e.to_string())?;
    Ok(space)
}

thread_local! {
    static FIELD_NAMES: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
}

/// The Rust name typify gives a property named `json` (the same in every struct).
pub fn field_name(json: &str) -> Result<String, String> {
    if let Some(known) = FIELD_NAMES.with(|names| names.borrow().get(json).cloned()) {
        return Ok(known);
    }
    let mut properties = serde_json::Map::new();
    properties.insert(json.to_string(), serde_json::json!({}));
    let space = probe(
        "Probe",
        serde_json::json!({"type": "object", "properties": properties}),
    )?;
    let name = space
        .iter_types()
        .find_map(|t| match t.details() {
            TypeDetails::Struct(s) => s.properties_info().next().map(|p| p.name.to_string()),
            _ => None,
        })
        .ok_or_else(|| format!("typify made no struct field of the property `{json}`"))?;
    FIELD_NAMES.with(|names| names.borrow_mut().insert(json.to_string(), name.clone()));
    Ok(name)
}

/// The Rust type name typify gives the schema `components.schemas.<schema>`.
pub fn type_name(schema: &str) -> Result<String, String> {
    let space = probe(
        schema,
        serde_json::json!({"type": "object", "properties": {"a": {}}}),
    )?;
    space
        .iter_types()
        .find(|t| matches!(t.details(), TypeDetails::Struct(_)))
        .map(|t| t.name())
        .ok_or_else(|| format!("typify made no type of the schema `{schema}`"))
}

/// Whether typify can name every value of a string enum apart (it panics on
/// values it would give one variant name, such as `a-b` and `a_b`).
pub fn enum_values_apart(values: &[String]) -> bool {
    probe(
        "Probe",
        serde_json::json!({"type": "string", "enum": values}),
    )
    .is_ok()
}

/// The fields of `types::<type_name>` as typify generated it, with the JSON
/// name of each (`json_names`: the spec's property names of the schema).
pub fn struct_fields(
    space: &TypeSpace,
    type_name: &str,
    json_names: &[String],
) -> Result<Vec<Field>, String> {
    let ty = space
        .iter_types()
        .find(|t| t.name() == type_name)
        .ok_or_else(|| format!("progenitor generated no type `types::{type_name}`"))?;
    fields_of(space, &ty, json_names)
}

/// The fields of the struct type with id `id` (a field's `value_id`).
pub fn fields_of_id(
    space: &TypeSpace,
    id: &TypeId,
    json_names: &[String],
) -> Result<Vec<Field>, String> {
    let ty = space.get_type(id).map_err(|e| e.to_string())?;
    fields_of(space, &ty, json_names)
}

fn fields_of(
    space: &TypeSpace,
    ty: &typify_impl::Type<'_>,
    json_names: &[String],
) -> Result<Vec<Field>, String> {
    let type_name = ty.name();
    let TypeDetails::Struct(details) = ty.details() else {
        return Err(format!("`types::{type_name}` is not a struct"));
    };
    let mut by_rust = HashMap::new();
    for json in json_names {
        by_rust.insert(field_name(json)?, json.clone());
    }
    let mut fields = Vec::new();
    for property in details.properties_info() {
        // A flattened `extra` map (additionalProperties) has no JSON name.
        let Some(json) = by_rust.get(property.name) else {
            continue;
        };
        let fail = |e: typify_impl::Error| format!("`types::{type_name}.{}`: {e}", property.name);
        let field_type = space.get_type(&property.type_id).map_err(fail)?;
        let (value_id, optional_inner) = match field_type.details() {
            TypeDetails::Option(inner) => {
                let inner_type = space.get_type(&inner).map_err(fail)?;
                (inner.clone(), Some(inner_type.ident()))
            }
            _ => (property.type_id.clone(), None),
        };
        let is_string = matches!(
            space.get_type(&value_id).map_err(fail)?.details(),
            TypeDetails::String
        );
        fields.push(Field {
            rust: property.name.to_string(),
            json: json.clone(),
            ty: field_type.ident(),
            optional_inner,
            is_string,
            value_id,
        });
    }
    Ok(fields)
}

/// The item type of the `Vec` with id `id`.
pub fn vec_item(space: &TypeSpace, id: &TypeId) -> Option<TypeId> {
    match space.get_type(id).ok()?.details() {
        TypeDetails::Vec(item) => Some(item),
        _ => None,
    }
}

/// The name of the type with id `id`.
pub fn name_of(space: &TypeSpace, id: &TypeId) -> Result<String, String> {
    space
        .get_type(id)
        .map(|t| t.name())
        .map_err(|e| e.to_string())
}

/// The field of `fields` whose JSON name is `json` (`owner` names the type in the error).
pub fn find<'a>(fields: &'a [Field], json: &str, owner: &str) -> Result<&'a Field, String> {
    fields
        .iter()
        .find(|f| f.json == json)
        .ok_or_else(|| format!("the generated type `{owner}` has no field `{json}`"))
}

/// Run `f`, turning a panic inside the generator (progenitor and typify
/// assert on some shapes they do not support) into its message, so the build
/// fails with the spec's name instead of a backtrace.
pub fn without_panics<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an internal error".to_string());
        format!("a shape in the spec it does not support ({message})")
    })
}
