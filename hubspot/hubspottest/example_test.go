package hubspottest_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ticketsync/ticketsync/hubspot/hubspottest"
)

// A test starts the fake, puts tickets in it and points the code under test
// at its URL with its token.
func Example() {
	fake := hubspottest.New(nil)
	defer fake.Close()

	id := fake.CreateTicket(map[string]string{"subject": "Printer on fire", "hs_ticket_priority": "URGENT"})
	fake.AddNote(id, hubspottest.Note{Body: "<p>Called the fire brigade.</p>"})

	req, _ := http.NewRequest("POST", fake.URL+"/crm/v3/objects/tickets/search",
		strings.NewReader(`{"filterGroups":[{"filters":[{"propertyName":"hs_object_id","operator":"EQ","value":"`+id+`"}]}]}`))
	req.Header.Set("Authorization", "Bearer "+hubspottest.DefaultToken)
	resp, err := fake.Client().Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	fmt.Println(fake.RequestCount("POST", "/crm/v3/objects/tickets/search"))
	// Output:
	// 200 OK
	// 1
}
