//! The quickstart: start a local Ingo sandbox, build a client the way you
//! would against the real API, list a page of contacts, walk every pending
//! payment intent of the last months, and print a summary.
//!
//!     cargo run --example quickstart
//!
//! No credentials, no network: the sandbox runs in this process on loopback.

use std::collections::BTreeMap;

use ingo_banking::prelude::*;
use ingo_banking::rust_decimal::Decimal;
use ingo_banking::types::{self, PaymentIntent};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = ingo_sandbox::Sandbox::start()?;
    println!("Local Ingo sandbox listening at {}\n", sandbox.base_url());

    // Against the real API you would write `Client::from_env()?` or pick
    // `Environment::Production`; here the sandbox hands out its credentials.
    let creds = sandbox.credentials();
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .credentials(Credentials::new(
            &creds.api_key,
            &creds.hmac_username,
            &creds.hmac_secret,
        )?)
        .build()?;

    // One page of the contacts of a business (the sandbox serves any ids).
    let business_id = "buss-demo";
    let contacts = client
        .list_contacts()
        .user_id("user-demo")
        .business_id(business_id)
        .per_page(5)
        .call()
        .await?;
    let data = contacts.data.ok_or("no data in the contacts response")?;
    let (page, per_page, total) = (
        data.pagination.page,
        data.pagination.per_page.max(1),
        data.pagination.total,
    );
    println!(
        "Contacts of business {business_id} (page {page} of {}, {total} contacts in all):",
        (total + per_page - 1) / per_page
    );
    println!("{:<44} {:<10} {:<28} email", "id", "type", "name");
    for c in &data.items {
        let name = [c.first_name.as_deref(), c.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let name = if name.is_empty() {
            c.business_name.clone().unwrap_or_default()
        } else {
            name
        };
        println!(
            "{:<44} {:<10} {:<28} {}",
            c.id,
            c.contact_type.as_deref().unwrap_or("-"),
            name,
            c.email.as_deref().unwrap_or("-")
        );
    }

    // Every debit payment intent, across all pages, lazily, with prefetch.
    let intents: Vec<PaymentIntent> = client
        .list_payment_intents()
        .payment_direction(types::ListPaymentIntentsRequestPaymentDirection::Debit)
        .per_page(100)
        .items()
        .prefetch(true)
        .try_collect()
        .await?;

    let mut by_status: BTreeMap<String, (u64, Decimal)> = BTreeMap::new();
    for pi in &intents {
        let entry = by_status.entry(pi.status.to_string()).or_default();
        entry.0 += 1;
        entry.1 += pi.amount;
    }
    println!(
        "\nDebit payment intents: {} walked across pages of 100",
        intents.len()
    );
    println!("{:<12} {:>7} {:>16}", "status", "count", "total (usd)");
    for (status, (count, total)) in &by_status {
        println!("{status:<12} {count:>7} {total:>16}");
    }
    let grand: Decimal = by_status.values().map(|(_, t)| *t).sum();
    println!("{:<12} {:>7} {:>16}", "all", intents.len(), grand);

    println!("\nNewest three:");
    for pi in intents.iter().take(3) {
        let posted = pi.posting_date.map(|d| d.to_rfc3339()).unwrap_or_default();
        println!(
            "  {}  {:>10} {}  {:<10} {}",
            pi.id, pi.amount, pi.currency, pi.status, posted
        );
    }
    Ok(())
}
