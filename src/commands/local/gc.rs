use serde_json::json;
use serde_json::Value;

use avn_local::LocalDir;

use crate::context::Context;
use crate::error::CliError;
use crate::output::human_bytes;

pub use avn_cli::commands::local::gc::GcArgs;

pub async fn run(ctx: &Context<'_>, args: GcArgs) -> anyhow::Result<()> {
    if !args.orphaned {
        return Err(CliError::usage("say what to remove: --orphaned (the only kind there is)")
            .hint("look first with `avn local gc --orphaned --dry-run`")
            .into());
    }
    let data_dir = super::data_dir(args.data_dir, ctx);
    let orphans = LocalDir::new(&data_dir).orphans();
    let (busy, free): (Vec<_>, Vec<_>) = orphans.into_iter().partition(|o| o.in_use);
    let total: u64 = free.iter().map(|o| o.bytes).sum();
    if !args.dry_run && !free.is_empty() && !ctx.force(args.yes) {
        if !crate::prompt::can_prompt() {
            return Err(CliError::usage(format!(
                "refusing to remove {} orphaned instance director{} ({}) without confirmation: no terminal to ask on",
                free.len(),
                if free.len() == 1 { "y" } else { "ies" },
                human_bytes(total)
            ))
            .hint("pass --yes, or look first with --dry-run")
            .into());
        }
        for o in &free {
            ctx.printer.stderr(&format!("  {} ({})\n", o.path.display(), human_bytes(o.bytes)));
        }
        let typed = crate::prompt::read_line(&format!(
            "Remove these {} directories ({}) and all their data? Type 'yes' to confirm",
            free.len(),
            human_bytes(total)
        ))?;
        if typed != "yes" {
            return Err(CliError::usage("not confirmed: nothing was removed").into());
        }
    }
    let mut rows = vec![];
    let mut failed = 0;
    for o in &busy {
        rows.push(json!({"path": o.path, "bytes": o.bytes, "size": human_bytes(o.bytes), "action": "kept",
            "reason": "a PostgreSQL server runs from it"}));
    }
    for o in &free {
        let (action, reason) = if args.dry_run {
            ("would remove", Value::Null)
        } else {
            match std::fs::remove_dir_all(&o.path) {
                Ok(()) => ("removed", Value::Null),
                Err(e) => {
                    failed += 1;
                    ("failed", e.to_string().into())
                }
            }
        };
        rows.push(json!({"path": o.path, "bytes": o.bytes, "size": human_bytes(o.bytes), "action": action,
            "reason": reason}));
    }
    if ctx.printer.json_mode() {
        ctx.printer.print_json(json!({"dry_run": args.dry_run, "orphaned": rows}))?;
    } else if rows.is_empty() {
        ctx.printer.info(&format!("Nothing in {}", LocalDir::new(&data_dir).orphaned().display()));
    } else {
        let shown = crate::output::report_rows(&rows);
        ctx.printer.emit(Value::Null, &shown, &["path", "size", "action", "reason"])?;
    }
    if failed > 0 {
        return Err(CliError::failed(format!("{failed} director(ies) could not be removed")).into());
    }
    Ok(())
}
