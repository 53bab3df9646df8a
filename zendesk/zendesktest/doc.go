// Package zendesktest is a fake of the Zendesk Support API v2 for tests.
package zendesktest
