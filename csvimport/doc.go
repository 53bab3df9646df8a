// Package csvimport imports help desks' CSV ticket exports into a
// ticketsync.Store: the way in for a platform without an API, for a first
// load of history, or for a spreadsheet somebody keeps.
//
// # Formats
//
// Presets know the column names of the exports of Zendesk, Freshdesk, Jira
// and HubSpot; Generic knows common names (id, title, state, customer email,
// agent, labels, created, last modified, ...). Auto, the default, picks a
// preset from the header. Headers match without regard to case, spaces,
// punctuation and a trailing "(in hrs)"-style suffix; Options.Columns names
// any column the preset does not know. Columns that map to no Ticket field
// are kept in Ticket.Fields under their header, and listed once in the
// Report.
//
// Status and priority words go through ticketsync.ParseStatus and
// ticketsync.ParsePriority; the file's own word is kept in RawStatus and
// RawPriority, and an unknown word is reported once with its count.
//
// # Dates
//
// Dates may be ISO 8601, a platform's own format (Jira's "05/Mar/24 2:22
// PM"), a layout in Options.DateLayouts, or numeric day/month dates with
// '/', '-' or '.'. For numeric dates, Import first reads up to SampleRows
// rows ahead (bounded by SampleBytes) without importing them: a date with a
// day above 12 there decides the order for the whole file. When none
// appears, Options.DayFirst decides and the Report says so; if a later row
// then proves the other order, the rest of the file follows it and the
// Report counts the ambiguous dates read before. Times without a UTC offset
// are read in Options.TimeZone, UTC by default.
//
// # Streaming and errors
//
// Import streams: memory stays bounded by the read-ahead, one batch of
// Options.BatchSize tickets and one row (Options.MaxRowBytes), whatever the
// size of the input; it remembers only a hash of each ID, to report
// duplicates. A row that cannot be imported (a broken quote, a wrong number
// of fields, bytes that are not UTF-8, an ID a spreadsheet wrote as
// 1.03006E+13, a date it cannot read, no ID) is listed in Report.Errors with
// its line and reason, and the import goes on. Every row read is either
// imported or listed: Imported + Skipped == Rows.
//
// Each import is recorded as a ticketsync.SyncRun with trigger
// ticketsync.TriggerImport. Importing the same file again is harmless: the
// Store keeps the newest copy of each ticket, by UpdatedAt.
package csvimport
