//! Kubernetes resource quantities (`1000m` = `1`, `1Gi` = `1024Mi`).
//!
//! A quantity is parsed into an exact value `±digits × 10^exp` using integer arithmetic only,
//! so equality never depends on floating point rounding. Binary suffixes (`Ki`..`Ei`) are exact
//! integer multipliers; decimal suffixes (`n`..`E`) and decimal exponents (`e3`, `E-2`) move the
//! decimal exponent. The canonical text form is a pure function of the value, so two spellings
//! of the same amount always normalize to the same string.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("empty quantity")]
    Empty,
    #[error("quantity has no digits")]
    NoDigits,
    #[error("unknown quantity suffix {0:?}")]
    BadSuffix(String),
    #[error("quantity is too large to represent exactly")]
    Overflow,
}

/// An exact quantity: `(-1)^negative × digits × 10^exp`, with `digits` free of trailing zeros
/// (zero is always `digits = 0, exp = 0, negative = false`), so derived equality is value
/// equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Quantity {
    negative: bool,
    digits: u128,
    exp: i32,
}

/// Largest decimal exponent a suffix or exponent may reach; far beyond any real quantity, and
/// small enough that exponent arithmetic never overflows.
const MAX_EXP: i64 = 1_000;

impl Quantity {
    /// Build from parts, bringing them into the canonical (trailing-zero free) shape.
    fn from_parts(negative: bool, mut digits: u128, mut exp: i64) -> Result<Self, QuantityError> {
        if digits == 0 {
            return Ok(Quantity {
                negative: false,
                digits: 0,
                exp: 0,
            });
        }
        while digits % 10 == 0 {
            digits /= 10;
            exp += 1;
        }
        if exp.abs() > MAX_EXP {
            return Err(QuantityError::Overflow);
        }
        let exp = i32::try_from(exp).map_err(|_| QuantityError::Overflow)?;
        Ok(Quantity {
            negative,
            digits,
            exp,
        })
    }

    /// The quantity of a whole number (`negative` × `magnitude`), as parsing its decimal
    /// text would give.
    pub fn from_integer(negative: bool, magnitude: u64) -> Self {
        Quantity::from_parts(negative, u128::from(magnitude), 0).unwrap_or(Quantity {
            negative: false,
            digits: 0,
            exp: 0,
        })
    }

    /// True when the value is zero.
    pub fn is_zero(&self) -> bool {
        self.digits == 0
    }

    /// The value as an integer number of milli-units (e.g. millicores), when exactly
    /// representable; `None` for sub-milli precision or overflow.
    pub fn as_milli(&self) -> Option<i128> {
        let exp = self.exp.checked_add(3)?;
        if exp < 0 {
            return None;
        }
        let scale = 10i128.checked_pow(u32::try_from(exp).ok()?)?;
        let value = i128::try_from(self.digits).ok()?.checked_mul(scale)?;
        Some(if self.negative { -value } else { value })
    }
}

/// Parse the longest leading signed decimal number (`+1.5`, `-.5`, `10.`) of `s`.
/// Returns (negative, digits, exponent, rest).
fn parse_number(s: &str) -> Result<(bool, u128, i64, &str), QuantityError> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut negative = false;
    if let Some(&sign) = bytes.first() {
        if sign == b'+' || sign == b'-' {
            negative = sign == b'-';
            i = 1;
        }
    }
    let mut digits: u128 = 0;
    let mut exp: i64 = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    // Zeros after the last non-zero digit are counted, not multiplied in, so long strings of
    // zeros ("1000000000000000000000000000000000000000k") do not overflow.
    let mut pending_zeros: i64 = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            seen_digit = true;
            if seen_dot {
                exp -= 1;
            }
            if b == b'0' {
                pending_zeros += 1;
            } else {
                for _ in 0..pending_zeros {
                    digits = digits.checked_mul(10).ok_or(QuantityError::Overflow)?;
                }
                pending_zeros = 0;
                digits = digits
                    .checked_mul(10)
                    .and_then(|d| d.checked_add(u128::from(b - b'0')))
                    .ok_or(QuantityError::Overflow)?;
            }
        } else if b == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        i += 1;
        if pending_zeros > MAX_EXP || exp < -MAX_EXP {
            return Err(QuantityError::Overflow);
        }
    }
    if !seen_digit {
        return Err(QuantityError::NoDigits);
    }
    if digits != 0 {
        exp += pending_zeros;
    }
    Ok((negative, digits, exp, &s[i..]))
}

/// Parse a suffix: (binary power of 1024, decimal exponent).
fn parse_suffix(suffix: &str) -> Result<(u32, i64), QuantityError> {
    let bad = || QuantityError::BadSuffix(suffix.to_string());
    Ok(match suffix {
        "" => (0, 0),
        "n" => (0, -9),
        "u" => (0, -6),
        "m" => (0, -3),
        "k" => (0, 3),
        "M" => (0, 6),
        "G" => (0, 9),
        "T" => (0, 12),
        "P" => (0, 15),
        "E" => (0, 18),
        "Ki" => (1, 0),
        "Mi" => (2, 0),
        "Gi" => (3, 0),
        "Ti" => (4, 0),
        "Pi" => (5, 0),
        "Ei" => (6, 0),
        _ => {
            let rest = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))
                .ok_or_else(bad)?;
            let (unsigned, negative) = match rest.as_bytes().first() {
                Some(b'-') => (&rest[1..], true),
                Some(b'+') => (&rest[1..], false),
                _ => (rest, false),
            };
            if unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let value: i64 = unsigned.parse().map_err(|_| QuantityError::Overflow)?;
            if value > MAX_EXP {
                return Err(QuantityError::Overflow);
            }
            (0, if negative { -value } else { value })
        }
    })
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(QuantityError::Empty);
        }
        let (negative, digits, exp, suffix) = parse_number(s)?;
        let (binary_power, suffix_exp) = parse_suffix(suffix)?;
        let multiplier = 1024u128.pow(binary_power);
        let digits = digits
            .checked_mul(multiplier)
            .ok_or(QuantityError::Overflow)?;
        Quantity::from_parts(negative, digits, exp + suffix_exp)
    }
}

/// Parse a quantity (see [`Quantity`]).
pub fn parse(s: &str) -> Result<Quantity, QuantityError> {
    s.parse()
}

/// Canonical text of a quantity string, or `None` if it is not a quantity.
pub fn canonical(s: &str) -> Option<String> {
    parse(s).ok().map(|q| q.to_string())
}

/// True when both strings are quantities of the same value (`1Gi` and `1024Mi`).
pub fn same_quantity(a: &str, b: &str) -> bool {
    matches!((parse(a), parse(b)), (Ok(x), Ok(y)) if x == y)
}

const DECIMAL_SUFFIXES: [(i32, &str); 6] = [
    (18, "E"),
    (15, "P"),
    (12, "T"),
    (9, "G"),
    (6, "M"),
    (3, "k"),
];
const BINARY_SUFFIXES: [(u32, &str); 6] = [
    (6, "Ei"),
    (5, "Pi"),
    (4, "Ti"),
    (3, "Gi"),
    (2, "Mi"),
    (1, "Ki"),
];

impl fmt::Display for Quantity {
    /// Canonical form, a pure function of the value:
    /// - multiples of 1000 use the largest decimal suffix (`1500000` → `1500k`, `2e9` → `2G`);
    /// - other integers divisible by 1024 use the largest binary suffix (`1073741824` → `1Gi`);
    /// - other integers are plain (`3`);
    /// - fractions use `m`, `u` or `n` (`0.5` → `500m`), finer ones an exponent (`1e-12`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        if self.exp >= 3 {
            let (power, suffix) = DECIMAL_SUFFIXES
                .iter()
                .copied()
                .find(|(p, _)| *p <= self.exp)
                .unwrap_or((3, "k"));
            let zeros = (self.exp - power) as usize;
            return write!(f, "{}{}{}", self.digits, "0".repeat(zeros), suffix);
        }
        if self.exp >= 0 {
            let value = self
                .digits
                .checked_mul(10u128.pow(self.exp as u32))
                .unwrap_or(self.digits);
            if value != 0 {
                for (power, suffix) in BINARY_SUFFIXES {
                    let unit = 1024u128.pow(power);
                    if value % unit == 0 {
                        return write!(f, "{}{}", value / unit, suffix);
                    }
                }
            }
            return write!(f, "{value}");
        }
        let (scale, suffix) = if self.exp >= -3 {
            (-3, "m")
        } else if self.exp >= -6 {
            (-6, "u")
        } else if self.exp >= -9 {
            (-9, "n")
        } else {
            return write!(f, "{}e{}", self.digits, self.exp);
        };
        let zeros = (self.exp - scale) as usize;
        write!(f, "{}{}{}", self.digits, "0".repeat(zeros), suffix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        match parse(s) {
            Ok(q) => q,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn equal_spellings_of_cpu_are_equal() {
        assert_eq!(q("1000m"), q("1"));
        assert_eq!(q("0.5"), q("500m"));
        assert_eq!(q(".5"), q("500m"));
        assert_eq!(q("100m"), q("0.1"));
        assert_eq!(q("1e3"), q("1k"));
        assert_eq!(q("1E3"), q("1000"));
        assert_eq!(q("1.5e-3"), q("1500u"));
        assert_eq!(q("+2"), q("2"));
    }

    #[test]
    fn binary_and_decimal_memory() {
        assert_eq!(q("1Gi"), q("1024Mi"));
        assert_eq!(q("1Mi"), q("1048576"));
        assert_eq!(q("0.5Gi"), q("512Mi"));
        assert_ne!(q("1G"), q("1Gi"));
        assert_eq!(q("1G"), q("1000M"));
        assert_ne!(q("128M"), q("128Mi"));
    }

    #[test]
    fn exa_suffix_is_not_an_exponent() {
        assert_eq!(q("1E"), q("1000P"));
        assert_eq!(q("2Ei"), q("2048Pi"));
    }

    #[test]
    fn canonical_text_is_a_function_of_the_value() {
        for (input, want) in [
            ("1000m", "1"),
            ("0.5", "500m"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1073741824", "1Gi"),
            ("1G", "1G"),
            ("1500000", "1500k"),
            ("250m", "250m"),
            ("0", "0"),
            ("0Mi", "0"),
            ("-0.5", "-500m"),
            ("1e-12", "1e-12"),
            ("3", "3"),
            ("100Ki", "100Ki"),
        ] {
            assert_eq!(q(input).to_string(), want, "{input}");
            assert_eq!(
                q(want),
                q(input),
                "canonical {want} reparses to the value of {input}"
            );
        }
    }

    #[test]
    fn invalid_quantities_are_errors_not_panics() {
        for bad in [
            "", "abc", "1x", "1Gb", "m", "1e", "1e+", "--1", "1..0", "1ki",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
        assert_eq!(parse("1e999999999999"), Err(QuantityError::Overflow));
        assert_eq!(
            parse("999999999999999999999999999999999999999999999Ei"),
            Err(QuantityError::Overflow)
        );
        assert_eq!(
            q("1000000000000000000000000000000000000000000000000k"),
            q("1e51")
        );
    }

    #[test]
    fn milli_values() {
        assert_eq!(q("1.5").as_milli(), Some(1500));
        assert_eq!(q("1u").as_milli(), None);
        assert!(q("0m").is_zero());
    }
}
