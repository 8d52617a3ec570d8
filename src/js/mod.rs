//! napi binding (filled next).
