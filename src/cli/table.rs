//! The aligned text tables of the headless commands (`compare`, `status`), laid out like
//! kubectl's: every column but the last padded to its widest cell (header included), columns
//! separated by a fixed gap, trailing blanks trimmed. One writer, so both commands align the
//! same way.

/// `header` and `rows` as aligned lines, each ending in `\n`, columns `gap` spaces apart.
///
/// Widths count characters, which is what `{:<width$}` pads by: a non-ASCII name widens its
/// column by its characters, not its bytes. The last column is never padded (it holds free
/// text such as a message or a list of paths).
pub(crate) fn render<const N: usize>(
    header: [&str; N],
    rows: &[[String; N]],
    gap: usize,
) -> String {
    let mut widths = header.map(|cell| cell.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut push_line = |cells: [&str; N]| {
        let mut line = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}{:gap$}", ""));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_line(header);
    for row in rows {
        push_line(row.each_ref().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn columns_align_to_the_widest_cell_and_the_last_is_not_padded() {
        let rows = [
            [
                "OutOfSync".to_string(),
                "apps/Deployment/shop/web".to_string(),
                "spec.replicas".to_string(),
            ],
            [
                "Synced".to_string(),
                "Service/shop/web".to_string(),
                String::new(),
            ],
        ];
        assert_eq!(
            render(["SYNC", "RESOURCE", "DIFFERENCES"], &rows, 2),
            "SYNC       RESOURCE                  DIFFERENCES\n\
             OutOfSync  apps/Deployment/shop/web  spec.replicas\n\
             Synced     Service/shop/web\n"
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        let rows = [["ConfigMap/shop/café-été".to_string(), "Synced".to_string()]];
        assert_eq!(
            render(["RESOURCE", "SYNC"], &rows, 3),
            "RESOURCE                  SYNC\nConfigMap/shop/café-été   Synced\n"
        );
    }

    #[test]
    fn a_header_without_rows_is_one_trimmed_line() {
        assert_eq!(
            render(["APP", "ENV", "MESSAGE"], &[], 3),
            "APP   ENV   MESSAGE\n"
        );
    }
}
