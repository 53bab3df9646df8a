// Package jira connects ticketsync to Jira Service Management on Jira Cloud.
package jira
