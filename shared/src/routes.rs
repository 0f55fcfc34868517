//! The API's route table: one row per route, with the Lambda binary that serves it. Every
//! other list of routes is checked against this one (`tests/tests/contract.rs`): the local
//! router in `Cargo.toml`, `template.yaml`'s functions and their events, `openapi.yaml`'s
//! paths and summaries, the binaries in `functions/src/bin/`, the round-trip counter
//! (`shared/tests/round_trips.rs`) and the cold-start harness (`bench/src/bin/cold-start.rs`,
//! which reads it). A new route starts as a row here; docs/architecture.md has the recipe.

/// One route of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path as API Gateway and `openapi.yaml` write it.
    pub path: &'static str,
    /// The Lambda binary (`functions/src/bin/<function>.rs`) that serves it. Its handler is
    /// `endpoints::<function with _ for ->::handle`.
    pub function: &'static str,
    /// What it does: the operation's `summary` in `openapi.yaml`.
    pub summary: &'static str,
}

/// Every deployed route. Contract routes still being built are in `tests/tests/contract.rs`'s
/// `BEING_BUILT`, not here.
pub const ROUTES: [Route; 14] = [
    Route {
        method: "GET",
        path: "/v1/companies/{company_id}",
        function: "show-company",
        summary: "Show Company Configuration",
    },
    Route {
        method: "GET",
        path: "/v1/companies/{company_id}/register_types/{register_name}/information_provider/{provider_name}",
        function: "show-register-type",
        summary: "Show Register Type",
    },
    Route {
        method: "GET",
        path: "/v1/companies/{company_id}/register_types",
        function: "list-register-types",
        summary: "Show All Register Types",
    },
    Route {
        method: "POST",
        path: "/v1/companies/{company_id}/profiles",
        function: "create-profile",
        summary: "Create Profile",
    },
    Route {
        method: "POST",
        path: "/v1/companies/{company_id}/profiles/login",
        function: "login",
        summary: "Login With Password",
    },
    Route {
        method: "POST",
        path: "/v1/companies/{company_id}/profiles/login/passkey",
        function: "login-passkey",
        summary: "Login With a Passkey",
    },
    Route {
        method: "POST",
        path: "/v1/companies/{company_id}/profiles/query",
        function: "search-profiles",
        summary: "Search Multiple Profiles",
    },
    Route {
        method: "PATCH",
        path: "/v1/companies/{company_id}/profiles/password",
        function: "password-change",
        summary: "Request / Confirm Password Change",
    },
    Route {
        method: "GET",
        path: "/v1/companies/{company_id}/profiles/{uuid}",
        function: "show-profile",
        summary: "Show Profile",
    },
    Route {
        method: "PATCH",
        path: "/v1/companies/{company_id}/profiles/{uuid}",
        function: "patch-profile",
        summary: "Add New Password, Update Profile, or Second Factors",
    },
    Route {
        method: "DELETE",
        path: "/v1/companies/{company_id}/profiles/{uuid}",
        function: "delete-profile",
        summary: "Delete Profile (erasure)",
    },
    Route {
        method: "PATCH",
        path: "/v1/companies/{company_id}/profiles/{uuid}/status",
        function: "profile-status",
        summary: "Activate / Deactivate Profile",
    },
    Route {
        method: "GET",
        path: "/v1/companies/{company_id}/profiles/{uuid}/events",
        function: "profile-events",
        summary: "Audit Trail of a Profile",
    },
    Route {
        method: "GET",
        path: "/v1/companies/{company_id}/events",
        function: "company-events",
        summary: "Audit Trail of a Company",
    },
];

/// The functions, each once, in the table's order.
pub fn functions() -> Vec<&'static str> {
    let mut functions: Vec<&'static str> = Vec::new();
    for route in &ROUTES {
        if !functions.contains(&route.function) {
            functions.push(route.function);
        }
    }
    functions
}

/// The routes `function` serves.
pub fn of_function(function: &str) -> impl Iterator<Item = &'static Route> + '_ {
    ROUTES
        .iter()
        .filter(move |route| route.function == function)
}

/// The handler module of `function`: `create-profile` is served by
/// `endpoints::create_profile::handle`.
pub fn handler_module(function: &str) -> String {
    function.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method_and_path_is_one_route_and_each_function_one_binary_name() {
        let mut seen = std::collections::BTreeSet::new();
        for route in &ROUTES {
            assert!(
                seen.insert((route.method, route.path)),
                "{} {} twice",
                route.method,
                route.path
            );
            assert!(
                route
                    .function
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}: a binary name is lower-case words joined by -",
                route.function
            );
        }
        assert_eq!(functions().len(), 14);
        assert_eq!(of_function("patch-profile").count(), 1);
        assert_eq!(handler_module("list-register-types"), "list_register_types");
    }
}
