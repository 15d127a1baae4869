//! Printers of `batch/v1`: Job, CronJob.

use crate::table::columns::{
    age_column, column, name_column, text_column, wide_column, CONTAINERS_DESCRIPTION,
    IMAGES_DESCRIPTION,
};
use crate::table::duration::{age, human_duration, parse_time, since};
use crate::table::fields::{condition_status, get, int, list, name_of, s, text};
use crate::table::format::{container_cells, format_label_selector};
use crate::table::printers::{Cells, Printer};
use jiff::Timestamp;
use serde_json::{json, Value};

/// The printer of `kind` in `batch`; `None` for kinds the API server
/// prints with its default Table.
pub(super) fn printer(kind: &str) -> Option<Printer> {
    Some(match kind {
        "Job" => Printer::new(
            vec![
                name_column(),
                text_column("Status", "Status of the job."),
                text_column("Completions", "The number of pods which reached phase Succeeded."),
                text_column("Duration", "Time required to complete the job."),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "A label query over pods that should match the pod count."),
            ],
            job_cells,
        ),
        "CronJob" => Printer::new(
            vec![
                name_column(),
                text_column("Schedule", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
                text_column("Timezone", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
                column("Suspend", "boolean", "", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.", 0),
                column("Active", "integer", "", "A list of pointers to currently running jobs.", 0),
                text_column("Last Schedule", "Information when was the last time the job was successfully scheduled."),
                age_column(),
                wide_column("Containers", CONTAINERS_DESCRIPTION),
                wide_column("Images", IMAGES_DESCRIPTION),
                wide_column("Selector", "A label query over pods that should match the pod count."),
            ],
            cron_job_cells,
        ),
        _ => return None,
    })
}

fn job_cells(obj: &Value, now: Timestamp) -> Cells {
    let succeeded = int(obj, &["status", "succeeded"]);
    let completions = match get(obj, &["spec", "completions"]).and_then(Value::as_i64) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match int(obj, &["spec", "parallelism"]) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = parse_time(get(obj, &["status", "startTime"]));
    let end = parse_time(get(obj, &["status", "completionTime"]));
    let duration = match (start, end) {
        (None, _) => String::new(),
        (Some(start), None) => human_duration(now.duration_since(start)),
        (Some(start), Some(end)) => human_duration(end.duration_since(start)),
    };
    // A condition counts only while True; the first condition of a type decides.
    let has = |ty: &str| condition_status(obj, &["status", "conditions"], ty) == Some("True");
    let deleting = get(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    let status = if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if deleting {
        "Terminating"
    } else if has("Suspended") {
        "Suspended"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = container_cells(get(obj, &["spec", "template", "spec"]));
    let cells = vec![
        s(name_of(obj)),
        s(status),
        s(completions),
        s(duration),
        age(obj, now),
        names,
        images,
        s(format_label_selector(get(obj, &["spec", "selector"]))),
    ];
    (cells, None)
}

fn cron_job_cells(obj: &Value, now: Timestamp) -> Cells {
    let last_schedule = match get(obj, &["status", "lastScheduleTime"]) {
        Some(v) if !v.is_null() => since(Some(v), now),
        _ => "<none>".to_string(),
    };
    let suspend = match get(obj, &["spec", "suspend"]).and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    };
    let time_zone = get(obj, &["spec", "timeZone"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let job_spec = get(obj, &["spec", "jobTemplate", "spec"]);
    let (names, images) = container_cells(job_spec.and_then(|j| get(j, &["template", "spec"])));
    let cells = vec![
        s(name_of(obj)),
        s(text(obj, &["spec", "schedule"])),
        s(time_zone),
        s(suspend),
        json!(list(obj, &["status", "active"]).len()),
        s(last_schedule),
        age(obj, now),
        names,
        images,
        s(format_label_selector(
            job_spec.and_then(|j| j.get("selector")),
        )),
    ];
    (cells, None)
}
