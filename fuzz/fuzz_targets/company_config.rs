//! Company-configuration parsing: `CompanyConfig::from_json` on arbitrary UTF-8.
//!
//! Asserted: nothing panics; an accepted configuration round-trips (`to_json` then `from_json`
//! succeeds and gives an equal configuration, and serialising that gives the same text);
//! `from_value` on the same document (the path YAML files take) agrees with `from_json`;
//! a refusal carries at least one non-empty message.

#![no_main]

use idp_core::company::CompanyConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match CompanyConfig::from_json(text) {
        Ok(config) => {
            let json = config.to_json();
            let again = CompanyConfig::from_json(&json).unwrap_or_else(|err| {
                panic!("to_json output is refused: {err}\n{json}");
            });
            assert_eq!(again, config, "round trip changed the configuration");
            assert_eq!(again.to_json(), json, "to_json is not stable");

            // The same document read through a `serde_json::Value` gives the same configuration.
            let value: serde_json::Value =
                serde_json::from_str(text).expect("accepted text is JSON");
            let from_value = CompanyConfig::from_value(value).unwrap_or_else(|err| {
                panic!("from_json accepted what from_value refuses: {err}");
            });
            assert_eq!(from_value, config, "from_value and from_json disagree");
        }
        Err(err) => {
            assert!(!err.0.is_empty(), "a refusal without a message");
            assert!(err.0.iter().all(|m| !m.is_empty()), "an empty message");
        }
    }
});
