package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ids "github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/types"
)

// These benchmarks drive the wired app in-process through the real SDK, for
// profiling (go test -run - -bench IdentityStore -cpuprofile cpu.out). The
// comparison with moto is bench/run-identitystore.sh.

func BenchmarkIdentityStoreCreateUser(b *testing.B) {
	app := startApp(b)
	c := ids.NewFromConfig(app.awsConfig())
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.CreateUser(context.Background(), newUserInput(app.Instance.IdentityStoreID, fmt.Sprint("u", n.Add(1)))); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkIdentityStoreGetUserId(b *testing.B) {
	app := startApp(b)
	c := ids.NewFromConfig(app.awsConfig())
	for i := range 100 {
		if _, err := c.CreateUser(context.Background(), newUserInput(app.Instance.IdentityStoreID, fmt.Sprint("u", i))); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, err := c.GetUserId(context.Background(), &ids.GetUserIdInput{IdentityStoreId: aws.String(app.Instance.IdentityStoreID),
				AlternateIdentifier: &types.AlternateIdentifierMemberUniqueAttribute{Value: types.UniqueAttribute{
					AttributePath: aws.String("userName"), AttributeValue: document.NewLazyDocument(fmt.Sprint("u", n.Add(1)%100))}}})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
