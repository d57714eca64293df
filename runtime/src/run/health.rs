//! The container's health check: the image's HEALTHCHECK under the
//! `--health-*` flags, with docker's checks of the flags.

use std::time::Duration;

use skiff_core::go_duration::parse_go_duration;

use super::image::RunImage;
use super::options::HealthOptions;
use crate::error::{Error, Result};
use crate::health::Healthcheck;

/// The image config's Healthcheck (a docker extension oci-spec's config
/// type drops, so it is read from the config blob itself).
pub(super) fn of_image(store: &skiff_store::Store, image: &RunImage) -> Option<Healthcheck> {
    let config = image.pins.get(1)?;
    let f = store.open_blob(config).ok()?;
    // The config was read and size-checked when the image was resolved.
    let v: serde_json::Value = serde_json::from_reader(std::io::BufReader::new(f)).ok()?;
    serde_json::from_value(v.get("config")?.get("Healthcheck")?.clone()).ok()
}

pub(super) fn resolve(
    o: &HealthOptions,
    image: Option<&Healthcheck>,
) -> Result<Option<Healthcheck>> {
    let any_flag = o.health_cmd.is_some()
        || o.health_interval.is_some()
        || o.health_timeout.is_some()
        || o.health_start_period.is_some()
        || o.health_start_interval.is_some()
        || o.health_retries.is_some();
    if o.no_healthcheck {
        if any_flag {
            return Err(Error::Invalid(
                "--no-healthcheck conflicts with --health-* options".into(),
            ));
        }
        return Ok(Some(Healthcheck {
            test: vec!["NONE".into()],
            ..Default::default()
        }));
    }
    let duration = |flag: &str, v: &Option<String>| -> Result<i64> {
        let Some(v) = v else { return Ok(0) };
        let d = parse_go_duration(v).map_err(|e| {
            Error::Invalid(format!(
                "invalid argument \"{v}\" for \"--{flag}\" flag: {e}"
            ))
        })?;
        if d != Duration::ZERO && d < Duration::from_millis(1) {
            return Err(Error::Invalid(format!("--{flag} cannot be less than 1ms")));
        }
        Ok(d.as_nanos() as i64)
    };
    let retries = o.health_retries.unwrap_or(0);
    if retries < 0 {
        return Err(Error::Invalid("--health-retries cannot be negative".into()));
    }
    let mine = Healthcheck {
        test: o
            .health_cmd
            .iter()
            .flat_map(|c| ["CMD-SHELL".to_string(), c.clone()])
            .collect(),
        interval: duration("health-interval", &o.health_interval)?,
        timeout: duration("health-timeout", &o.health_timeout)?,
        start_period: duration("health-start-period", &o.health_start_period)?,
        start_interval: duration("health-start-interval", &o.health_start_interval)?,
        retries,
    };
    if !any_flag {
        return Ok(image.cloned());
    }
    Ok(Some(mine.over(image)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_over_the_image_and_dockers_checks() {
        let image = Healthcheck {
            test: vec!["CMD".into(), "/bin/check".into()],
            interval: 1_000_000_000,
            ..Default::default()
        };
        let o = HealthOptions {
            health_retries: Some(5),
            ..Default::default()
        };
        let hc = resolve(&o, Some(&image)).unwrap().unwrap();
        assert_eq!(
            (hc.test.clone(), hc.interval, hc.retries),
            (image.test.clone(), 1_000_000_000, 5)
        );
        let o = HealthOptions {
            health_cmd: Some("true".into()),
            health_interval: Some("250ms".into()),
            ..Default::default()
        };
        let hc = resolve(&o, Some(&image)).unwrap().unwrap();
        assert_eq!(hc.test, ["CMD-SHELL", "true"]);
        assert_eq!(hc.interval, 250_000_000);
        let off = HealthOptions {
            no_healthcheck: true,
            ..Default::default()
        };
        assert_eq!(resolve(&off, Some(&image)).unwrap().unwrap().test, ["NONE"]);
        let both = HealthOptions {
            no_healthcheck: true,
            health_cmd: Some("x".into()),
            ..Default::default()
        };
        assert!(resolve(&both, None).is_err());
        let bad = HealthOptions {
            health_interval: Some("soon".into()),
            ..Default::default()
        };
        assert!(resolve(&bad, None).is_err());
        assert!(resolve(&HealthOptions::default(), None).unwrap().is_none());
    }
}
