//! SAM's `--env-vars` file: `{"Parameters": {...}, "<LogicalId>": {...}}`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::InvokeError;

const PARAMETERS: &str = "Parameters";

/// A parsed SAM `--env-vars` file. `Parameters` apply to every function; a logical id's block
/// applies to that function and wins over `Parameters`.
///
/// Unlike SAM, which only overrides variables the template declares, every variable in the
/// applicable blocks is set (this tool does not read the template).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFile {
    parameters: BTreeMap<String, String>,
    functions: BTreeMap<String, BTreeMap<String, String>>,
}

impl EnvFile {
    pub fn load(path: &Path) -> Result<EnvFile, InvokeError> {
        let env_file_error = |reason: String| InvokeError::EnvFile {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| env_file_error(e.to_string()))?;
        EnvFile::parse(&text).map_err(env_file_error)
    }

    /// Parses the file's text; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<EnvFile, String> {
        let root: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let Value::Object(blocks) = root else {
            return Err("the top level must be an object of blocks".to_string());
        };
        let mut file = EnvFile::default();
        for (block_name, block) in blocks {
            let vars = parse_block(&block_name, block)?;
            if block_name == PARAMETERS {
                file.parameters = vars;
            } else {
                file.functions.insert(block_name, vars);
            }
        }
        Ok(file)
    }

    /// The variables for one function: `Parameters` merged with its block, sorted by name.
    pub fn vars_for(&self, logical_id: &str) -> Vec<(String, String)> {
        let mut merged = self.parameters.clone();
        if let Some(own) = self.functions.get(logical_id) {
            merged.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        merged.into_iter().collect()
    }

    /// Whether the file has a block for this logical id (a typo silently leaves it out in SAM).
    pub fn has_function(&self, logical_id: &str) -> bool {
        self.functions.contains_key(logical_id)
    }

    /// The logical ids the file has blocks for.
    pub fn logical_ids(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }
}

/// Reads a SAM `--env-vars` file and returns the variables for `logical_id`.
pub fn load_env_file(
    path: impl AsRef<Path>,
    logical_id: &str,
) -> Result<Vec<(String, String)>, InvokeError> {
    Ok(EnvFile::load(path.as_ref())?.vars_for(logical_id))
}

/// The SAM logical id this repository gives a function crate: `insights-salary` becomes
/// `InsightsSalaryFunction`.
pub fn logical_id_for(function_name: &str) -> String {
    let mut id: String = function_name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    id.push_str("Function");
    id
}

/// One block's values as SAM reads them: strings as they are, numbers and booleans as their
/// JSON text, `null` meaning "keep the default" (so left out here).
fn parse_block(block_name: &str, block: Value) -> Result<BTreeMap<String, String>, String> {
    let Value::Object(entries) = block else {
        return Err(format!("\"{block_name}\" must be an object of variables"));
    };
    let mut vars = BTreeMap::new();
    for (key, value) in entries {
        let text = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "\"{block_name}\".\"{key}\" must be a string, number or boolean"
                ));
            }
        };
        vars.insert(key, text);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
        "Parameters": {"TABLE_NAME": "local", "LOG": "info", "SYNC_CONCURRENCY": 4},
        "InsightsSalaryFunction": {"LOG": "debug", "FLAG": true, "UNSET": null},
        "OtherFunction": {"TABLE_NAME": "other"}
    }"#;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn merges_parameters_with_the_functions_block() {
        let file = EnvFile::parse(FILE).unwrap();
        assert_eq!(
            file.vars_for("InsightsSalaryFunction"),
            pairs(&[
                ("FLAG", "true"),
                ("LOG", "debug"),
                ("SYNC_CONCURRENCY", "4"),
                ("TABLE_NAME", "local")
            ])
        );
        assert_eq!(
            file.vars_for("Missing"),
            pairs(&[
                ("LOG", "info"),
                ("SYNC_CONCURRENCY", "4"),
                ("TABLE_NAME", "local")
            ])
        );
        assert!(file.has_function("OtherFunction"));
        assert!(!file.has_function("Missing"));
    }

    #[test]
    fn rejects_wrong_shapes() {
        assert!(EnvFile::parse("[]").is_err());
        assert!(EnvFile::parse(r#"{"Parameters": "x"}"#).is_err());
        let nested = EnvFile::parse(r#"{"F": {"A": {"B": "c"}}}"#).unwrap_err();
        assert!(nested.contains("\"F\".\"A\""), "{nested}");
        assert!(EnvFile::parse("{").is_err());
    }

    #[test]
    fn derives_logical_ids_from_crate_names() {
        assert_eq!(logical_id_for("insights-salary"), "InsightsSalaryFunction");
        assert_eq!(logical_id_for("cron-sync-banks"), "CronSyncBanksFunction");
        assert_eq!(logical_id_for("echo"), "EchoFunction");
    }
}
