//! The README's CI recipes, run as the CI systems would run them, against avn local: the GitHub
//! Actions job twice (the second adopts the copy), the GitLab CI job, then the scheduled prune.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::local_support::*;

/// A fenced block of the README that starts with `first_line`.
fn readme_block(first_line: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find(first_line).unwrap_or_else(|| panic!("README has {first_line}"));
    let end = readme[start..].find("\n```").unwrap();
    readme[start..start + end].to_string()
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start().len()
}

/// GitHub Actions: each job's `run:` scripts, in order.
fn github_steps(yaml: &str) -> BTreeMap<String, Vec<String>> {
    let mut jobs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut in_jobs, mut job) = (false, String::new());
    let lines: Vec<&str> = yaml.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l == "jobs:" {
            in_jobs = true;
        } else if in_jobs && indent(l) == 2 && l.trim_end().ends_with(':') {
            job = l.trim().trim_end_matches(':').to_string();
        } else if let Some(rest) =
            l.trim_start().strip_prefix("run: ").or_else(|| l.trim_start().strip_prefix("- run: "))
        {
            let script = if rest == "|" {
                let base = indent(lines[i + 1]);
                let mut body = vec![];
                while i + 1 < lines.len() && (lines[i + 1].trim().is_empty() || indent(lines[i + 1]) >= base) {
                    i += 1;
                    body.push(&lines[i][base.min(lines[i].len())..]);
                }
                body.join("\n")
            } else {
                rest.to_string()
            };
            jobs.entry(job.clone()).or_default().push(script);
        }
        i += 1;
    }
    jobs
}

/// GitLab CI: each job's `script:` lines, in order.
fn gitlab_scripts(yaml: &str) -> BTreeMap<String, Vec<String>> {
    let mut jobs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let (mut job, mut in_script) = (String::new(), false);
    for l in yaml.lines() {
        if indent(l) == 0 && l.ends_with(':') && !l.starts_with('#') {
            job = l.trim_end_matches(':').to_string();
            in_script = false;
        } else if l.trim() == "script:" {
            in_script = true;
        } else if in_script && l.trim_start().starts_with("- ") {
            jobs.entry(job.clone()).or_default().push(l.trim_start()[2..].to_string());
        } else if indent(l) <= 2 {
            in_script = false;
        }
    }
    jobs
}

struct Runner<'a> {
    l: &'a Local,
    repo: &'a Path,
}

impl Runner<'_> {
    /// Run one shell script as a CI step, with the CI variables; returns success.
    fn step(&self, script: &str, vars: &BTreeMap<String, String>) -> bool {
        let path = format!("{}:{}", crate::support::avn_dir().display(), std::env::var("PATH").unwrap_or_default());
        let out = Command::new("bash")
            .args(["-eo", "pipefail", "-c", script])
            .current_dir(self.repo)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.repo)
            .env("AIVEN_WEB_URL", &self.l.url)
            .env("AIVEN_AUTH_TOKEN", &self.l.token)
            .envs(vars)
            .output()
            .unwrap();
        if !out.status.success() {
            eprintln!(
                "step failed:\n{script}\n--- stdout:\n{}\n--- stderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out.status.success()
    }

    /// A GitHub Actions job: steps in order, `$GITHUB_ENV` read back after each, as Actions does.
    fn github_job(&self, steps: &[String], pr: &str) {
        let env_file = self.repo.join(format!("github-env-{pr}"));
        std::fs::write(&env_file, "").unwrap();
        let runner_temp = self.repo.join(format!("runner-temp-{pr}"));
        std::fs::create_dir_all(&runner_temp).unwrap();
        let mut vars: BTreeMap<String, String> = [
            ("AIVEN_PROJECT".into(), "local".into()),
            ("GITHUB_ENV".into(), env_file.display().to_string()),
            ("RUNNER_TEMP".into(), runner_temp.display().to_string()),
        ]
        .into();
        for s in steps {
            let script = s.replace("${{ github.event.number }}", pr);
            assert!(self.step(&script, &vars), "GitHub step failed: {script}");
            for line in std::fs::read_to_string(&env_file).unwrap().lines() {
                if let Some((k, v)) = line.split_once('=') {
                    vars.insert(k.into(), v.into());
                }
            }
        }
    }

    /// A GitLab CI job: the script lines in one shell, as the runner does.
    fn gitlab_job(&self, lines: &[String], mr: &str) {
        let vars: BTreeMap<String, String> =
            [("AIVEN_PROJECT".into(), "local".into()), ("CI_MERGE_REQUEST_IID".into(), mr.into())].into();
        assert!(self.step(&lines.join("\n"), &vars), "GitLab job failed");
    }
}

#[test]
fn the_readme_ci_recipes_work_end_to_end() {
    let github = github_steps(&readme_block("# .github/workflows/pr-database.yml"));
    let gitlab = gitlab_scripts(&readme_block("# .gitlab-ci.yml"));
    assert_eq!(github["test"].len(), 3, "{github:?}");
    assert_eq!(gitlab["mr-database"].len(), 4, "{gitlab:?}");

    let l = Local::start();
    // The repository the jobs run in: the masking file and a migration.
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("ci")).unwrap();
    std::fs::create_dir_all(repo.path().join("migrations")).unwrap();
    let mask = readme_block("-- mask.sql");
    std::fs::write(repo.path().join("ci/mask.sql"), mask).unwrap();
    std::fs::write(repo.path().join("migrations/001.sql"), "ALTER TABLE users ADD COLUMN IF NOT EXISTS plan text;\n")
        .unwrap();
    l.avn(&["service", "create", "prod-db", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "120"]).code(0);
    let prod = l.uri("prod-db");
    sql(
        &prod,
        "CREATE TABLE users (id int, email text, full_name text); CREATE TABLE sessions (token text); \
        INSERT INTO users VALUES (1, 'ada@real.example', 'Ada L')",
    )
    .unwrap();

    let run = Runner { l: &l, repo: repo.path() };
    // The pull request's job, then a re-run of it: one copy, adopted the second time.
    run.github_job(&github["test"], "42");
    let first = l.service("pr-42")["create_time"].clone();
    run.github_job(&github["test"], "42");
    assert_eq!(l.service("pr-42")["create_time"], first, "the re-run adopted the copy");
    let copy = l.uri("pr-42");
    assert_eq!(sql(&copy, "SELECT email FROM users").unwrap()[0][0], "user1@example.invalid");
    assert!(sql(&copy, "SELECT plan FROM users").is_ok(), "the migration ran on the copy");
    assert!(sql(&prod, "SELECT plan FROM users").is_err(), "and not on production");
    // The merge request's job.
    run.gitlab_job(&gitlab["mr-database"], "7");
    assert_eq!(sql(&l.uri("mr-7"), "SELECT email FROM users").unwrap()[0][0], "user1@example.invalid");

    // pr-42 has expired (as if two days passed); the scheduled prune removes it and only it.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = l.client();
    let mut tags = rt.block_on(client.service_tags("local", "pr-42")).unwrap();
    assert!(tags.contains_key("avn_expires_at"), "{tags:?}");
    tags.insert("avn_expires_at".into(), "2026-01-01T00:00:00Z".into());
    rt.block_on(client.service_tags_replace("local", "pr-42", &tags)).unwrap();
    run.github_job(&github["prune"], "");
    assert_eq!(l.avn(&["service", "get", "pr-42"]).code, 1, "pruned");
    l.avn(&["service", "get", "mr-7"]).code(0);
    l.avn(&["service", "get", "prod-db"]).code(0);
    assert!(run.step(&gitlab["prune-databases"].join("\n"), &[("AIVEN_PROJECT".into(), "local".into())].into()));
}
