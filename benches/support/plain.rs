//! The hand-written floor's types: plain structs with the fields of a
//! payment-intents page, enums as strings.
#![allow(dead_code)]

use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct Plain {
    pub status: String,
    pub message: String,
    pub data: Option<PlainPage>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct PlainPage {
    pub items: Vec<PlainIntent>,
    pub pagination: PlainPagination,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct PlainPagination {
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
    pub sort: Option<String>,
    pub search: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct PlainIntent {
    pub id: String,
    pub amount: rust_decimal::Decimal,
    pub currency: String,
    pub direction: Option<String>,
    pub action: Option<String>,
    pub category: Option<String>,
    pub status: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub idempotent_key: Option<String>,
    pub posting_date: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}
