//! What progenitor generated, read back from its syntax tree: the Rust
//! fields and types of the request bodies and responses, so the extras use
//! the exact types typify chose instead of guessing them from the spec.

use syn::{Fields, Item, ItemStruct, Type};

/// One field of a generated struct.
#[derive(Clone)]
pub struct Field {
    /// The Rust name, e.g. `type_`.
    pub ident: syn::Ident,
    /// The JSON name, e.g. `type`.
    pub json_name: String,
    pub ty: Type,
}

impl Field {
    /// The type inside `Option<…>`, if the field is optional.
    pub fn optional_inner(&self) -> Option<&Type> {
        option_inner(&self.ty)
    }
}

/// The generated module `name` (`types`, `builder`) of progenitor's output.
pub fn module<'a>(file: &'a syn::File, name: &str) -> Option<&'a [Item]> {
    file.items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_ref().map(|(_, items)| items.as_slice()),
        _ => None,
    })
}

/// The items of the generated module `name`, to add to.
pub fn module_mut<'a>(file: &'a mut syn::File, name: &str) -> Option<&'a mut Vec<Item>> {
    file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, items)| items),
        _ => None,
    })
}

/// The named fields of `types::<name>`.
pub fn struct_fields(file: &syn::File, name: &str) -> Option<Vec<Field>> {
    let item = module(file, "types")?.iter().find_map(|item| match item {
        Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    })?;
    Some(fields_of(item))
}

fn fields_of(item: &ItemStruct) -> Vec<Field> {
    let Fields::Named(named) = &item.fields else {
        return Vec::new();
    };
    named
        .named
        .iter()
        .filter_map(|f| {
            let ident = f.ident.clone()?;
            let json_name = serde_rename(&f.attrs).unwrap_or_else(|| ident.to_string());
            Some(Field {
                ident,
                json_name,
                ty: f.ty.clone(),
            })
        })
        .collect()
}

/// `#[serde(rename = "…")]`, as typify writes it for renamed fields.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut renamed = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                // Skip `default = "…"`, `skip_serializing_if = "…"` and the like.
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    renamed
}

/// `T` of `Option<T>` (however the path to `Option` is spelled).
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner),
        _ => None,
    }
}

/// Whether `ty` is `String` (however the path is spelled).
pub fn is_string(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"))
}
