//! The deploy kit agrees with the code: the compose file runs each stage
//! under its own name with its health check on the port that stage's
//! `/readyz` listens on, and the Dockerfile copies only files that exist
//! and runs as a user other than root. (Building the image needs a
//! container engine; this checks what can be checked without one.)

use std::path::Path;

use govwire::services::Service;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn compose_runs_each_stage_with_its_readiness_check() {
    let text = std::fs::read_to_string(root().join("deploy/docker/compose.yaml")).unwrap();
    let compose: Value = serde_yaml::from_str(&text).expect("compose.yaml is YAML");
    let services = compose["services"].as_object().unwrap();
    let base: u16 = govwire::config::TelemetryConfig::default().listen.port();
    for stage in Service::ALL {
        let name = stage.name();
        let service = services
            .get(name)
            .unwrap_or_else(|| panic!("compose.yaml has no {name} service"));
        assert_eq!(service["command"], serde_json::json!([name]), "{name}");
        let check = service["healthcheck"]["test"].as_array().unwrap();
        let url = check.last().unwrap().as_str().unwrap();
        assert_eq!(
            url,
            format!(
                "http://127.0.0.1:{}/readyz",
                base + stage.telemetry_offset()
            ),
            "{name}'s health check"
        );
    }
    // The image's entrypoint is the binary, so `init` runs before them.
    assert_eq!(services["init"]["command"], serde_json::json!(["init"]));
    assert!(
        text.contains("\"127.0.0.1:8088:8088\""),
        "the archive's port is published"
    );
    assert!(text.contains("GOVWIRE__TELEMETRY__LISTEN: 0.0.0.0:9470"));
}

#[test]
fn the_dockerfile_copies_what_exists_and_runs_unprivileged() {
    let text = std::fs::read_to_string(root().join("deploy/docker/Dockerfile")).unwrap();
    let mut user = None;
    for line in text.lines().map(str::trim) {
        if let Some(args) = line.strip_prefix("COPY ") {
            if args.starts_with("--from") || args.starts_with(". ") {
                continue;
            }
            let source = args.split_whitespace().next().unwrap();
            assert!(root().join(source).exists(), "COPY {source}: no such path");
        }
        if let Some(name) = line.strip_prefix("USER ") {
            user = Some(name.trim().to_owned());
        }
    }
    assert_eq!(
        user.as_deref(),
        Some("govwire"),
        "the image runs as govwire"
    );
    assert!(text.contains("ENTRYPOINT [\"/usr/local/bin/govwire\"]"));
    for tool in ["poppler-utils", "antiword", "catdoc"] {
        assert!(text.contains(tool), "the image has {tool}");
    }
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l.trim() == "target"),
        "target/ stays out of the build context"
    );
}

#[test]
fn the_crawler_keeps_its_lease_name_across_restarts_in_both_kits() {
    // A crawler restarted under a new name would wait for its own old
    // section leases to lapse before polling again.
    let text = std::fs::read_to_string(root().join("deploy/docker/compose.yaml")).unwrap();
    let compose: Value = serde_yaml::from_str(&text).expect("compose.yaml is YAML");
    let environment = &compose["services"]["crawler"]["environment"];
    assert_eq!(
        environment["GOVWIRE__CRAWLER__INSTANCE_ID"],
        serde_json::json!("crawler-1")
    );
    assert!(
        environment["<<"]["GOVWIRE__AMQP__URL"].is_string(),
        "the crawler keeps the shared environment: {environment}"
    );
    let unit = std::fs::read_to_string(root().join("deploy/systemd/govwire@.service")).unwrap();
    assert!(
        unit.lines()
            .any(|line| line == "Environment=GOVWIRE__CRAWLER__INSTANCE_ID=%H-%i"),
        "{unit}"
    );
}

#[test]
fn make_cluster_applies_the_policies_of_the_definitions_file() {
    let file: Value =
        serde_json::from_str(include_str!("../deploy/rabbitmq/definitions.json")).unwrap();
    let script = std::fs::read_to_string(root().join("scripts/cluster.sh")).unwrap();
    let policies = file["policies"].as_array().expect("the file has policies");
    assert!(!policies.is_empty());
    for policy in policies {
        let applied = format!(
            "set_policy --apply-to {} {} '{}'",
            policy["apply-to"].as_str().unwrap(),
            policy["name"].as_str().unwrap(),
            policy["pattern"].as_str().unwrap()
        );
        assert!(
            script.contains(&applied),
            "scripts/cluster.sh lacks `{applied}`"
        );
        let definition = format!("'{}'", policy["definition"]);
        assert!(
            script.contains(&definition),
            "scripts/cluster.sh lacks the definition {definition}"
        );
    }
}
