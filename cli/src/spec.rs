//! Image specs as rbd reads them: `[pool/[namespace/]]image[@snap]`, with
//! `--pool`, `--namespace`, `--image` and `--snap` filling what is missing.

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub pool: String,
    pub namespace: String,
    pub image: String,
    pub snap: Option<String>,
}

impl Spec {
    /// `text` is the positional argument (None: from the options alone).
    pub fn parse(text: Option<&str>, opts: &SpecDefaults<'_>) -> Result<Spec, String> {
        let text = text.unwrap_or("");
        let (path, snap) = match text.split_once('@') {
            Some((p, s)) => (p, Some(s.to_string())),
            None => (text, None),
        };
        let parts: Vec<&str> = path.split('/').collect();
        let (pool, namespace, image) = match parts.as_slice() {
            [image] => (None, None, *image),
            [pool, image] => (Some(*pool), None, *image),
            [pool, ns, image] => (Some(*pool), Some(*ns), *image),
            _ => return Err(format!("invalid spec '{text}'")),
        };
        let image = if image.is_empty() { opts.image.unwrap_or("") } else { image };
        if image.is_empty() {
            return Err("image name was not specified".into());
        }
        let snap = snap.or(opts.snap.map(str::to_string));
        if snap.as_deref() == Some("") {
            return Err(format!("invalid spec '{text}'"));
        }
        Ok(Spec {
            pool: pool.filter(|p| !p.is_empty()).or(opts.pool).unwrap_or(opts.default_pool).to_string(),
            namespace: namespace.or(opts.namespace).unwrap_or("").to_string(),
            image: image.to_string(),
            snap,
        })
    }

    /// Refuses a snapshot where the command works on the image itself.
    pub fn no_snap(self) -> Result<Spec, String> {
        match self.snap {
            Some(_) => Err("snapshot name specified for a command that doesn't use it".into()),
            None => Ok(self),
        }
    }

    /// Requires a snapshot (snap create, protect...).
    pub fn snap_name(&self) -> Result<&str, String> {
        self.snap.as_deref().ok_or_else(|| "snapshot name was not specified".into())
    }
}

impl std::fmt::Display for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.image)?;
        if let Some(snap) = &self.snap {
            write!(f, "@{snap}")?;
        }
        Ok(())
    }
}

/// What the options say when the spec leaves it out.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpecDefaults<'a> {
    pub pool: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub image: Option<&'a str>,
    pub snap: Option<&'a str>,
    pub default_pool: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Spec, String> {
        Spec::parse(Some(text), &SpecDefaults { default_pool: "rbd", ..Default::default() })
    }

    #[test]
    fn specs_split_as_rbd_splits_them() {
        let s = parse("p/ns/img@snap").unwrap();
        assert_eq!((s.pool.as_str(), s.namespace.as_str(), s.image.as_str()), ("p", "ns", "img"));
        assert_eq!(s.snap.as_deref(), Some("snap"));
        let s = parse("img").unwrap();
        assert_eq!((s.pool.as_str(), s.image.as_str(), s.snap), ("rbd", "img", None));
        assert_eq!(parse("p/img").unwrap().pool, "p");
        assert!(parse("a/b/c/d").is_err());
        assert!(parse("img@").is_err());
        assert!(parse("").is_err());
        let opts = SpecDefaults {
            pool: Some("q"),
            image: Some("i"),
            snap: Some("s"),
            default_pool: "rbd",
            ..Default::default()
        };
        let s = Spec::parse(None, &opts).unwrap();
        assert_eq!((s.pool.as_str(), s.image.as_str(), s.snap.as_deref()), ("q", "i", Some("s")));
    }
}
