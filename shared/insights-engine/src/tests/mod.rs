//! Fixture and property tests. They live inside the module so they move with it.

pub mod builders;

mod balance_fixtures;
mod examples;
mod income_fixtures;
mod props;
mod recurring_fixtures;
mod salary_fixtures;
mod spending_fixtures;
mod stage_timing;
