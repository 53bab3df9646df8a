// Package jiratest is a fake Jira Cloud site with Jira Service Management.
package jiratest
