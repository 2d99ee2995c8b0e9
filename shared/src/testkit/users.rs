//! The users of the tests: the `sub` of the `events/` files, and two others.

use crate::identity::UserId;

/// The `sub` of every event file.
pub const ALICE: &str = "user-7f3c1a2e";
/// Another user, whose data Alice must never see or change.
pub const BOB: &str = "user-b0b";
/// A third user, where a test needs one more.
pub const CAROL: &str = "user-ca201";

/// The user id of a test `sub`.
pub fn user(sub: &str) -> UserId {
    UserId::parse(sub).unwrap_or_else(|| panic!("not a valid user id: {sub:?}"))
}
