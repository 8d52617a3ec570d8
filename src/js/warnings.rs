//! Process warnings pcmtap emits (`process.emitWarning`), each at most once per process.
//!
//! Threads: JS thread (of whichever Node environment, main or Worker, meets it first).

use std::sync::atomic::{AtomicBool, Ordering};

use napi::bindgen_prelude::{FnArgs, Function, JsObjectValue, Object};
use napi::Env;

use crate::capture::{pulse_config, WARNING_CODE};

/// `PCMTAP_PULSE_CONFIG`, once, when libpulse's configuration could not be made safely or left
/// some of the user's files out (`stats().pulseConfig` says which).
pub fn pulse_config_once(env: &Env) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    let Some(message) = pulse_config().and_then(|c| c.warning()) else {
        return;
    };
    if !WARNED.swap(true, Ordering::AcqRel) {
        // A runtime without process.emitWarning has nowhere to show it; stats() still says it.
        let _ = emit(env, &message, WARNING_CODE);
    }
}

fn emit(env: &Env, message: &str, code: &str) -> napi::Result<()> {
    let process: Object = env.get_global()?.get_named_property("process")?;
    let emit_warning: Function<FnArgs<(&str, Object)>, ()> =
        process.get_named_property("emitWarning")?;
    let mut options = Object::new(env)?;
    options.set("code", code)?;
    emit_warning.call((message, options).into())
}
