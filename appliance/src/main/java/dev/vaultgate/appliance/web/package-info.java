/**
 * The gateway's local web UI over HTTPS: login with the admin password, the pages (plain HTML/JS from resources),
 * their JSON API, live updates over server-sent events fed from the event bus, and the unauthenticated
 * {@code /health} endpoint for monitoring.
 */
package dev.vaultgate.appliance.web;
