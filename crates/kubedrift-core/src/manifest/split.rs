//! Splitting a YAML stream into documents while remembering where each one starts.
//!
//! serde_yaml 0.9 iterates documents but does not say on which line each begins, and error
//! positions are relative to the document it was given. Splitting ourselves gives both.

/// One YAML document of a stream, as text, with its position in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Document<'a> {
    /// The document's text, including its `---` marker line if it had one.
    pub text: &'a str,
    /// 1-based line of the first line of `text` in the file (used to make parser error
    /// positions absolute).
    pub first_line: usize,
    /// 1-based line where the document's content starts (its first line that is not blank,
    /// a comment, a directive or a bare `---`), or `None` when it has no content at all.
    pub content_line: Option<usize>,
}

/// Is `line` a document separator? Only at column 0: exactly `---`, or `---` followed by a
/// space or tab (`--- !tag`, `--- |`). An indented `---` (e.g. inside a block scalar) is text.
fn is_separator(line: &str) -> bool {
    let line = line.trim_end_matches(['\n', '\r']);
    match line.strip_prefix("---") {
        Some(rest) => rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t'),
        None => false,
    }
}

/// The content of a line for the purpose of "does this document contain anything?".
fn has_content(line: &str, is_first_of_document: bool) -> bool {
    let mut text = line.trim_end_matches(['\n', '\r']);
    if is_first_of_document && is_separator(text) {
        text = &text[3..];
    }
    let trimmed = text.trim();
    !(trimmed.is_empty()
        || trimmed.starts_with('#')
        || (trimmed == "..." && text.starts_with("..."))
        || text.starts_with('%'))
}

/// Split `text` into documents at column-0 `---` separators.
///
/// A chunk before a separator that holds only directives (`%YAML 1.2`) is kept together with
/// the document that follows, because the `---` belongs to those directives.
pub(crate) fn split_documents(text: &str) -> Vec<Document<'_>> {
    let mut documents = Vec::new();
    let mut start_byte = 0usize;
    let mut start_line = 1usize;
    let mut content_line: Option<usize> = None;
    let mut has_directive = false;
    let mut offset = 0usize;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let line_number = index + 1;
        let is_first = offset == start_byte;
        if is_separator(line) && !is_first {
            let directives_only = content_line.is_none() && has_directive;
            if !directives_only {
                documents.push(Document {
                    text: &text[start_byte..offset],
                    first_line: start_line,
                    content_line,
                });
                start_byte = offset;
                start_line = line_number;
                content_line = None;
                has_directive = false;
            }
        }
        let is_first = offset == start_byte;
        if line.starts_with('%') {
            has_directive = true;
        }
        if content_line.is_none() && has_content(line, is_first || is_separator(line)) {
            content_line = Some(line_number);
        }
        offset += line.len();
    }
    documents.push(Document {
        text: &text[start_byte..],
        first_line: start_line,
        content_line,
    });
    documents
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_column_zero_separators_only() {
        let text = "a: 1\n---\nb: |\n  ---\n  x\n--- \n# c\nc: 3\n";
        let docs = split_documents(text);
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].text, "a: 1\n");
        assert_eq!(docs[0].content_line, Some(1));
        assert_eq!(docs[1].text, "---\nb: |\n  ---\n  x\n");
        assert_eq!(docs[1].first_line, 2);
        assert_eq!(docs[1].content_line, Some(3));
        assert_eq!(docs[2].first_line, 6);
        assert_eq!(docs[2].content_line, Some(8));
    }

    #[test]
    fn leading_separator_and_empty_documents() {
        let docs = split_documents("---\n---\n# only a comment\n---\nkind: A\n");
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].content_line, None);
        assert_eq!(docs[1].content_line, None);
        assert_eq!(docs[2].content_line, Some(5));
    }

    #[test]
    fn separator_with_inline_content_counts_as_content() {
        let docs = split_documents("a: 1\n--- {b: 2}\n");
        assert_eq!(docs[1].content_line, Some(2));
    }

    #[test]
    fn directives_stay_with_their_document() {
        let docs = split_documents("%YAML 1.1\n---\na: 1\n");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].content_line, Some(3));
    }

    #[test]
    fn crlf_separators() {
        let docs = split_documents("a: 1\r\n---\r\nb: 2\r\n");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].content_line, Some(3));
    }
}
