//! `page` and `per_page` query parameters, as every listing of the API reads them: defaults 1
//! and 5, `page` ≥ 1, `per_page` 1–100, and at most 10,000 items deep (`page × per_page`).
//! Decimal digits without a leading zero only: `+1`, `01`, `1.0` or ` 1` are refused, not
//! guessed. The HTTP edge reads them from a request ([`crate::request::page`]).

pub const DEFAULT_PER_PAGE: u32 = 5;
pub const MAX_PER_PAGE: u32 = 100;
/// The deepest item an offset may reach.
pub const MAX_DEPTH: u64 = 10_000;

/// One page of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub per_page: u32,
}

impl Page {
    pub fn parse(page: Option<&str>, per_page: Option<&str>) -> Result<Self, String> {
        let number = |raw: Option<&str>, name: &str, default: u32, max: u32| match raw {
            None => Ok(default),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| canonical(text) && (1..=max).contains(n))
                .ok_or_else(|| {
                    if max == u32::MAX {
                        format!("Query parameter `{name}` must be a whole number of at least 1")
                    } else {
                        format!("Query parameter `{name}` must be a whole number from 1 to {max}")
                    }
                }),
        };
        let page = number(page, "page", 1, u32::MAX)?;
        let per_page = number(per_page, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
        if u64::from(page) * u64::from(per_page) > MAX_DEPTH {
            return Err(format!(
                "`page` × `per_page` must be at most {MAX_DEPTH}: narrow the listing down instead"
            ));
        }
        Ok(Self { page, per_page })
    }

    /// The items of this page out of `all` (empty past the end).
    pub fn slice<'a, T>(&self, all: &'a [T]) -> &'a [T] {
        let start = (self.page as usize - 1).saturating_mul(self.per_page as usize);
        let end = start.saturating_add(self.per_page as usize).min(all.len());
        all.get(start..end).unwrap_or(&[])
    }
}

/// Decimal digits without a leading zero: one spelling per number, as `openapi.yaml` says.
fn canonical(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_bounds_and_depth() {
        assert_eq!(
            Page::parse(None, None),
            Ok(Page {
                page: 1,
                per_page: 5
            })
        );
        assert_eq!(
            Page::parse(Some("100"), Some("100")),
            Ok(Page {
                page: 100,
                per_page: 100
            })
        );
        for (page, per_page, named) in [
            (Some("0"), None, "`page`"),
            (Some("-1"), None, "`page`"),
            (Some("+1"), None, "`page`"),
            (Some("01"), None, "`page`"),
            (None, Some("05"), "`per_page`"),
            (Some("1.0"), None, "`page`"),
            (Some(""), None, "`page`"),
            (Some("99999999999"), None, "`page`"),
            (None, Some("0"), "`per_page`"),
            (None, Some("101"), "`per_page`"),
            (None, Some("x"), "`per_page`"),
            (Some("101"), Some("100"), "10000"),
            (Some("2001"), None, "10000"),
        ] {
            let err = Page::parse(page, per_page).unwrap_err();
            assert!(err.contains(named), "{page:?} {per_page:?}: {err}");
        }
    }

    #[test]
    fn slices_pages_and_past_the_end() {
        let all: Vec<u32> = (1..=12).collect();
        let page = |p: u32| Page {
            page: p,
            per_page: 5,
        };
        assert_eq!(page(1).slice(&all), &[1, 2, 3, 4, 5]);
        assert_eq!(page(3).slice(&all), &[11, 12]);
        assert!(page(4).slice(&all).is_empty());
    }
}
