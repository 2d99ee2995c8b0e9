//! Benchmark of the four insights on generated data: 10 000, 100 000 and 1 000 000
//! transactions over 4 accounts (BHD and SAR) of one user, two years of history.
//! Prints a markdown table: size, insight, median ms (after a warm-up), peak heap MiB
//! allocated during the call above the baseline before it (counting global allocator).
//!
//! Run: `make bench-insights` (= `cargo run --release -p insights-bench [sizes...]`)

// The peak-heap figure needs a counting global allocator (unsafe by its trait), and a benchmark
// over data it generates itself may stop at the first surprise.
#![allow(unsafe_code, clippy::unwrap_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use insights_engine::money::{Currency, Money};
use insights_engine::{
    Account, AccountKind, BalanceHistoryQuery, BalanceReading, BalanceType, BookingStatus, Country,
    GroupBy, IncomeQuery, SpendingQuery, Transaction, balance_history, income, salary, spending,
};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            if new_size > layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                    + (new_size - layout.size());
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// xorshift64*: deterministic data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// (description stem, merchant name, Tarabut category, MCC, min major, max major)
type MerchantSpec = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    i64,
    i64,
);

const MERCHANTS: &[MerchantSpec] = &[
    (
        "POS LULU HYPERMARKET",
        Some("Lulu Hypermarket"),
        Some("Groceries"),
        Some("5411"),
        3,
        60,
    ),
    (
        "POS CARREFOUR CITY CENTRE",
        Some("Carrefour"),
        Some("Groceries"),
        Some("5411"),
        2,
        80,
    ),
    (
        "POS STARBUCKS SEEF",
        Some("Starbucks"),
        Some("Eating Out"),
        Some("5814"),
        1,
        6,
    ),
    ("POS COSTA COFFEE", None, None, Some("5814"), 1, 5),
    (
        "TALABAT ORDER",
        Some("Talabat"),
        Some("Food Delivery"),
        None,
        3,
        15,
    ),
    ("CAREEM RIDE", Some("Careem"), None, Some("4121"), 1, 12),
    ("BAPCO PETROL STATION", None, None, Some("5541"), 5, 20),
    (
        "AMAZON.AE MARKETPLACE",
        Some("Amazon"),
        Some("Shopping"),
        Some("5999"),
        5,
        120,
    ),
    ("NOON.COM", None, None, None, 5, 90),
    ("IKEA BAHRAIN", Some("IKEA"), None, Some("5712"), 10, 300),
    ("NAHDI PHARMACY", None, None, Some("5912"), 2, 30),
    (
        "VOX CINEMAS",
        None,
        Some("Entertainment"),
        Some("7832"),
        4,
        20,
    ),
    ("شراء بطاقة مدى بنده", None, None, None, 2, 50),
    ("مطعم البيك", None, None, None, 2, 12),
    ("صيدلية الدواء", None, None, None, 2, 25),
    (
        "POS JARIR BOOKSTORE",
        Some("Jarir Bookstore"),
        None,
        Some("5942"),
        3,
        70,
    ),
    ("POS AL OSRA SUPERMARKET", None, None, None, 2, 40),
    ("SALON AND SPA", None, None, Some("7230"), 5, 40),
    (
        "BOOKING.COM HOTEL",
        None,
        Some("Travel"),
        Some("7011"),
        40,
        400,
    ),
    ("GULF AIR TICKET", None, None, Some("3136"), 60, 400),
    ("RANDOM TRADER", None, None, None, 1, 50),
];

fn ccy(code: &str) -> Currency {
    Currency::from_code(code).expect("known currency")
}

fn account(
    id: &str,
    currency: &str,
    kind: AccountKind,
    country: Country,
    iban: Option<&str>,
) -> Account {
    Account {
        account_id: id.into(),
        currency: ccy(currency),
        kind,
        country,
        iban: iban.map(Into::into),
        name: None,
    }
}

struct Data {
    accounts: Vec<Account>,
    transactions: Vec<Transaction>,
    balances: Vec<BalanceReading>,
}

fn base_tx(
    account: &Account,
    id: u64,
    date: NaiveDate,
    minor: i64,
    description: String,
) -> Transaction {
    Transaction {
        account_id: account.account_id.clone(),
        transaction_id: format!("tx-{id:08}"),
        booked_at: Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight")),
        status: BookingStatus::Booked,
        amount: Money::from_minor(minor, account.currency),
        description,
        transaction_type: None,
        sub_transaction_type: None,
        category_group: None,
        category_name: None,
        merchant_name: None,
        merchant_category_code: None,
        counterparty_iban: None,
    }
}

fn payday(year: i32, month: u32) -> NaiveDate {
    let nominal = NaiveDate::from_ymd_opt(year, month, 27).expect("27th");
    match nominal.weekday() {
        Weekday::Fri => nominal - Duration::days(1),
        Weekday::Sat => nominal - Duration::days(2),
        _ => nominal,
    }
}

fn generate(size: usize, seed: u64) -> Data {
    let mut rng = Rng(seed);
    let cur = account(
        "bhd-current",
        "BHD",
        AccountKind::Current,
        Country::BH,
        Some("BH29BMAG00001299123456"),
    );
    let card = account(
        "bhd-card",
        "BHD",
        AccountKind::CreditCard,
        Country::BH,
        None,
    );
    let sar = account(
        "sar-current",
        "SAR",
        AccountKind::Current,
        Country::SA,
        Some("SA0380000000608010167519"),
    );
    let sav = account(
        "sar-savings",
        "SAR",
        AccountKind::Savings,
        Country::SA,
        Some("SA4420000001234567891234"),
    );
    let start = NaiveDate::from_ymd_opt(2023, 7, 1).expect("start");
    let days = 730i64;
    let mut txs: Vec<Transaction> = Vec::with_capacity(size);
    let mut id = 0u64;
    let push = |t: Transaction, txs: &mut Vec<Transaction>| {
        txs.push(t);
    };
    // Monthly fixed flows.
    for m in 0..24 {
        let month_start = start + chrono::Months::new(m);
        let (y, mo) = (month_start.year(), month_start.month());
        let pay = payday(y, mo);
        id += 1;
        let mut t = base_tx(
            &cur,
            id,
            pay,
            1_850_000,
            format!(
                "SALARY CREDIT GULF TRADING W.L.L. REF {}",
                rng.below(1_000_000)
            ),
        );
        t.counterparty_iban = Some("BH67NBOB00001299000001".into());
        t.transaction_type = Some("Salary".into());
        push(t, &mut txs);
        id += 1;
        push(
            base_tx(
                &sar,
                id,
                NaiveDate::from_ymd_opt(y, mo, 1).expect("1st"),
                400_000,
                "PAYROLL EVENING TUTORS LLC".into(),
            ),
            &mut txs,
        );
        id += 1;
        let mut rent = base_tx(
            &cur,
            id,
            month_start + Duration::days(2),
            -450_000,
            "STANDING ORDER RENT AL SEEF".into(),
        );
        rent.transaction_type = Some("StandingOrder".into());
        rent.counterparty_iban = Some("BH11KFHB00000000000042".into());
        push(rent, &mut txs);
        id += 1;
        push(
            base_tx(
                &cur,
                id,
                month_start + Duration::days(9),
                -(25_000 + rng.below(20_000) as i64),
                "EWA BILL PAYMENT".into(),
            ),
            &mut txs,
        );
        id += 1;
        push(
            base_tx(
                &cur,
                id,
                month_start + Duration::days(11),
                -18_900,
                "BATELCO POSTPAID".into(),
            ),
            &mut txs,
        );
        id += 1;
        let mut netflix = base_tx(
            &card,
            id,
            month_start + Duration::days(14),
            -4_400,
            "NETFLIX.COM".into(),
        );
        netflix.merchant_name = Some("Netflix".into());
        push(netflix, &mut txs);
        // Card repayment and BHD → SAR transfer.
        let repay_day = month_start + Duration::days(20);
        let amount = 200_000 + rng.below(300) as i64 * 1_000;
        id += 1;
        push(
            base_tx(&cur, id, repay_day, -amount, "CREDIT CARD PAYMENT".into()),
            &mut txs,
        );
        id += 1;
        push(
            base_tx(
                &card,
                id,
                repay_day,
                amount,
                "PAYMENT RECEIVED THANK YOU".into(),
            ),
            &mut txs,
        );
        let bhd = 100_000i64;
        let sar_amount = 99_500i64; // 997.34 SAR at the pegs, less a fee
        id += 1;
        push(
            base_tx(
                &cur,
                id,
                repay_day + Duration::days(1),
                -bhd,
                "OUTWARD TRANSFER".into(),
            ),
            &mut txs,
        );
        id += 1;
        push(
            base_tx(
                &sar,
                id,
                repay_day + Duration::days(2),
                sar_amount,
                "INWARD TRANSFER".into(),
            ),
            &mut txs,
        );
        id += 1;
        push(
            base_tx(
                &sav,
                id,
                (month_start + chrono::Months::new(1)) - Duration::days(1),
                1_250 + rng.below(100) as i64,
                "PROFIT DISTRIBUTION".into(),
            ),
            &mut txs,
        );
    }
    // Everyday transactions up to the requested size.
    let accounts_for_purchases = [&card, &card, &cur, &sar];
    while txs.len() < size {
        id += 1;
        let day = start + Duration::days(rng.below(days as u64) as i64);
        let roll = rng.below(100);
        let t = if roll < 80 {
            let (stem, merchant, category, mcc, lo, hi) =
                MERCHANTS[rng.below(MERCHANTS.len() as u64) as usize];
            let account = accounts_for_purchases[rng.below(4) as usize];
            let per_major = account.currency.minor_per_major();
            let scale = if account.currency.code() == "SAR" {
                10
            } else {
                1
            };
            let major = (lo + rng.below((hi - lo + 1) as u64) as i64) * scale;
            let minor = major * per_major + rng.below(per_major as u64) as i64;
            let description = format!(
                "{stem} {}XXXX{:04} REF{}",
                4000 + rng.below(999),
                rng.below(9999),
                rng.below(1_000_000)
            );
            let mut t = base_tx(account, id, day, -minor, description);
            t.merchant_name = merchant.map(Into::into);
            t.category_name = category.map(Into::into);
            t.merchant_category_code = mcc.map(Into::into);
            t.transaction_type = Some("POS".into());
            if rng.chance(30) {
                t.booked_at = Utc.from_utc_datetime(
                    &day.and_hms_opt(5 + rng.below(15) as u32, rng.below(60) as u32, 7)
                        .expect("time"),
                );
            }
            t
        } else if roll < 84 {
            let account = if rng.chance(50) { &cur } else { &sar };
            let minor = (2 + rng.below(10) as i64) * 10 * account.currency.minor_per_major();
            let mut t = base_tx(account, id, day, -minor, "ATM WITHDRAWAL SEEF MALL".into());
            t.transaction_type = Some("ATM".into());
            t
        } else if roll < 87 {
            let account = if rng.chance(50) { &cur } else { &sar };
            let mut t = base_tx(account, id, day, -300, "ATM FEE".into());
            t.transaction_type = Some("Fee".into());
            t
        } else if roll < 90 {
            let (stem, merchant, ..) = MERCHANTS[rng.below(8) as usize];
            let minor = (1 + rng.below(20) as i64) * 1_000;
            let mut t = base_tx(&card, id, day, minor, format!("REFUND {stem}"));
            t.merchant_name = merchant.map(Into::into);
            t
        } else if roll < 95 {
            let account = if rng.chance(50) { &cur } else { &sar };
            let minor = (5 + rng.below(50) as i64) * account.currency.minor_per_major();
            let names = ["AHMED ALI", "FATIMA HASSAN", "محمد عبدالله", "SARA KHALID"];
            let name = names[rng.below(4) as usize];
            if rng.chance(50) {
                base_tx(account, id, day, minor, format!("BENEFITPAY FROM {name}"))
            } else {
                let mut t = base_tx(
                    account,
                    id,
                    day,
                    -minor,
                    format!("FAWRI TRANSFER TO {name}"),
                );
                t.transaction_type = Some("Transfer".into());
                t
            }
        } else if roll < 97 {
            base_tx(
                &cur,
                id,
                day,
                (20 + rng.below(200) as i64) * 1_000,
                "CASH DEPOSIT CDM".into(),
            )
        } else {
            base_tx(
                &sav,
                id,
                day,
                -(100 + rng.below(900) as i64) * 100,
                "TRANSFER".into(),
            )
        };
        push(t, &mut txs);
    }
    txs.truncate(size);

    // Balances: a reading per account at the end, and month-end snapshots consistent with
    // the flows (one off by 5.000 BHD to exercise the adjustment path).
    let accounts = vec![cur, card, sar, sav];
    let end = Utc
        .with_ymd_and_hms(2025, 6, 30, 8, 0, 0)
        .single()
        .expect("end");
    let mut balances = Vec::new();
    for (k, account) in accounts.iter().enumerate() {
        let mut flows: Vec<(NaiveDate, i64)> = txs
            .iter()
            .filter(|t| t.account_id == account.account_id)
            .map(|t| (t.booked_at.date_naive(), t.amount.minor()))
            .collect();
        flows.sort_unstable();
        let opening = 5_000_000i64 * (k as i64 + 1);
        let total: i64 = flows.iter().map(|f| f.1).sum();
        balances.push(BalanceReading {
            account_id: account.account_id.clone(),
            kind: BalanceType::InterimBooked,
            amount: Money::from_minor(opening + total, account.currency),
            at: end,
        });
        for m in 1..24u32 {
            let month_end = start + chrono::Months::new(m) - Duration::days(1);
            let upto: i64 = flows
                .iter()
                .take_while(|f| f.0 <= month_end)
                .map(|f| f.1)
                .sum();
            let off = if k == 0 && m == 12 { 5_000 } else { 0 };
            balances.push(BalanceReading {
                account_id: account.account_id.clone(),
                kind: BalanceType::ClosingBooked,
                amount: Money::from_minor(opening + upto + off, account.currency),
                at: Utc.from_utc_datetime(&month_end.and_hms_opt(20, 30, 0).expect("time")),
            });
        }
    }
    Data {
        accounts,
        transactions: txs,
        balances,
    }
}

/// CPU time of this thread (user + system) in milliseconds, from /proc (10 ms ticks): on a
/// machine shared with other jobs, wall time includes waiting for a core, CPU time does not.
fn thread_cpu_ms() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else {
        return f64::NAN;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (ticks(11) + ticks(12)) * 10.0
}

struct Measured {
    median_ms: f64,
    min_ms: f64,
    cpu_ms: f64,
    peak_mib: f64,
    runs: usize,
}

fn measure<T>(min_runs: usize, mut f: impl FnMut() -> T) -> Measured {
    // Warm-up, and the memory measurement.
    let baseline = CURRENT.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let kept = f();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(baseline);
    drop(kept);
    let mut times = Vec::new();
    let cpu_start = thread_cpu_ms();
    let started_all = Instant::now();
    while times.len() < min_runs || (started_all.elapsed().as_secs_f64() < 2.0 && times.len() < 200)
    {
        let started = Instant::now();
        let out = f();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        drop(out);
    }
    let cpu = (thread_cpu_ms() - cpu_start) / times.len() as f64;
    times.sort_by(f64::total_cmp);
    Measured {
        median_ms: times[times.len() / 2],
        min_ms: times[0],
        cpu_ms: cpu,
        peak_mib: peak as f64 / (1024.0 * 1024.0),
        runs: times.len(),
    }
}

/// Prints what the insights found in the generated data (a sanity check of the benchmark).
fn summarise(data: &Data, from: NaiveDate, to: NaiveDate, today: NaiveDate) {
    if let Ok(report) = salary(&data.accounts, &data.transactions, today) {
        for s in report.primary.iter().chain(&report.others) {
            eprintln!(
                "salary: {} {} {:?} {:?} next {:?} confidence {}",
                s.employer, s.amount, s.cadence, s.status, s.next_expected_date, s.confidence
            );
        }
    }
    let query = SpendingQuery {
        from,
        to,
        group_by: GroupBy::Category,
        account_id: None,
    };
    if let Ok(report) = spending(&data.accounts, &data.transactions, &query)
        && let Some(period) = report.periods.get(12)
    {
        for c in &period.currencies {
            eprintln!(
                "spending {} {}: total {} groups {} transfers {} card payments {}",
                period.period.month,
                c.currency,
                c.total,
                c.groups.len(),
                c.excluded.internal_transfers.count,
                c.excluded.card_payments.count
            );
        }
    }
    let query = BalanceHistoryQuery {
        from,
        to,
        account_id: None,
        reporting_currency: None,
    };
    if let Ok(report) = balance_history(&data.accounts, &data.transactions, &data.balances, &query)
    {
        for a in &report.accounts {
            eprintln!(
                "balance {}: {} adjustments {:?}",
                a.account_id,
                a.points.len(),
                a.adjustments
                    .iter()
                    .map(|x| (x.date, x.amount))
                    .collect::<Vec<_>>()
            );
        }
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    let from = NaiveDate::from_ymd_opt(2023, 7, 1).expect("from");
    let to = NaiveDate::from_ymd_opt(2025, 7, 1).expect("to");
    let today = NaiveDate::from_ymd_opt(2025, 6, 30).expect("today");
    println!(
        "| transactions | insight | median ms | min ms | mean CPU ms | peak MiB | runs | × baseline |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for size in sizes {
        let data = generate(size, 0x5eed_1234_abcd_0042);
        let runs = if size >= 1_000_000 { 3 } else { 9 };
        if std::env::var("BENCH_SUMMARY").is_ok() {
            summarise(&data, from, to, today);
        }
        let spending_query = |group_by| SpendingQuery {
            from,
            to,
            group_by,
            account_id: None,
        };
        let only = std::env::var("BENCH_ONLY").ok();
        let wanted = |name: &str| only.as_deref().is_none_or(|o| name.starts_with(o));
        // The baseline, measured in the same run: a copy of the input sorted by booking time,
        // the least any report over these rows has to do. Insights are reported as a ratio to
        // it, which varies far less than milliseconds on a shared machine.
        let baseline = measure(runs, || {
            let mut rows: Vec<&_> = data.transactions.iter().collect();
            rows.sort_by_key(|t| t.booked_at);
            rows.len()
        });
        let mut results: Vec<(&str, Measured)> = vec![("baseline (sort by date)", baseline)];
        if wanted("spending (by category)") {
            results.push((
                "spending (by category)",
                measure(runs, || {
                    spending(
                        &data.accounts,
                        &data.transactions,
                        &spending_query(GroupBy::Category),
                    )
                    .map(|r| r.periods.len())
                }),
            ));
        }
        if wanted("spending (by merchant)") {
            results.push((
                "spending (by merchant)",
                measure(runs, || {
                    spending(
                        &data.accounts,
                        &data.transactions,
                        &spending_query(GroupBy::Merchant),
                    )
                    .map(|r| r.periods.len())
                }),
            ));
        }
        if wanted("income") {
            results.push((
                "income",
                measure(runs, || {
                    income(
                        &data.accounts,
                        &data.transactions,
                        &IncomeQuery {
                            from,
                            to,
                            account_id: None,
                        },
                        today,
                    )
                    .map(|r| r.sources.len())
                }),
            ));
        }
        if wanted("salary") {
            results.push((
                "salary",
                measure(runs, || {
                    salary(&data.accounts, &data.transactions, today).map(|r| r.detected)
                }),
            ));
        }
        if wanted("balance_history") {
            results.push((
                "balance_history",
                measure(runs, || {
                    balance_history(
                        &data.accounts,
                        &data.transactions,
                        &data.balances,
                        &BalanceHistoryQuery {
                            from,
                            to,
                            account_id: None,
                            reporting_currency: None,
                        },
                    )
                    .map(|r| r.totals.len())
                }),
            ));
        }
        let base_ms = results[0].1.median_ms.max(f64::EPSILON);
        for (name, m) in &results {
            println!(
                "| {size} | {name} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {:.1} |",
                m.median_ms,
                m.min_ms,
                m.cpu_ms,
                m.peak_mib,
                m.runs,
                m.median_ms / base_ms
            );
        }
    }
}
