//! A small built-in IP-to-location table (docs/mock.md "Geo").

use std::net::IpAddr;

use ipnet::IpNet;

/// Where an IP is.
#[derive(Debug, Clone, Copy)]
pub struct Place {
    pub country_code: &'static str,
    pub country_name: &'static str,
    pub region: &'static str,
    pub city: &'static str,
    pub latitude: f64,
    pub longitude: f64,
    pub timezone: &'static str,
}

const NEW_YORK: Place = Place {
    country_code: "US",
    country_name: "United States",
    region: "New York",
    city: "New York",
    latitude: 40.7128,
    longitude: -74.006,
    timezone: "America/New_York",
};
const TORONTO: Place = Place {
    country_code: "CA",
    country_name: "Canada",
    region: "Ontario",
    city: "Toronto",
    latitude: 43.6532,
    longitude: -79.3832,
    timezone: "America/Toronto",
};
const MOUNTAIN_VIEW: Place = Place {
    country_code: "US",
    country_name: "United States",
    region: "California",
    city: "Mountain View",
    latitude: 37.386,
    longitude: -122.0838,
    timezone: "America/Los_Angeles",
};
const LONDON: Place = Place {
    country_code: "GB",
    country_name: "United Kingdom",
    region: "England",
    city: "London",
    latitude: 51.5074,
    longitude: -0.1278,
    timezone: "Europe/London",
};
const PARIS: Place = Place {
    country_code: "FR",
    country_name: "France",
    region: "Île-de-France",
    city: "Paris",
    latitude: 48.8566,
    longitude: 2.3522,
    timezone: "Europe/Paris",
};
const SYDNEY: Place = Place {
    country_code: "AU",
    country_name: "Australia",
    region: "New South Wales",
    city: "Sydney",
    latitude: -33.8688,
    longitude: 151.2093,
    timezone: "Australia/Sydney",
};

/// The table: loopback is New York (US), private ranges Toronto (CA), and a few public
/// documentation-friendly ranges.
const TABLE: &[(&str, Place)] = &[
    ("127.0.0.0/8", NEW_YORK),
    ("::1/128", NEW_YORK),
    ("10.0.0.0/8", TORONTO),
    ("172.16.0.0/12", TORONTO),
    ("192.168.0.0/16", TORONTO),
    ("fc00::/7", TORONTO),
    ("8.8.8.0/24", MOUNTAIN_VIEW),
    ("81.2.69.0/24", LONDON),
    ("2.16.0.0/13", PARIS),
    ("1.1.1.0/24", SYDNEY),
];

/// The place of an IP, if the table knows it.
pub fn lookup(ip: IpAddr) -> Option<Place> {
    TABLE.iter().find_map(|(net, place)| {
        net.parse::<IpNet>()
            .ok()
            .filter(|n| n.contains(&ip))
            .map(|_| *place)
    })
}
