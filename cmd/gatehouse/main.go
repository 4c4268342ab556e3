// Command gatehouse is a self-hosted IAM Identity Center.
//
// Usage:
//
//	gatehouse serve [flags]     run the server (SQLite under ./gatehouse-data by default)
//	gatehouse policy check ...  validate IAM policy documents
//	gatehouse policy eval ...   evaluate a request against policy documents
//	gatehouse cli-config ...    print the AWS CLI configuration for Gatehouse
//	gatehouse version           print the version
//
// main is the only place that wires concrete types together: it reads the
// configuration, opens the store, builds the services and serves them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		switch {
		case errors.Is(err, errInvalid), errors.Is(err, errDenied):
			os.Exit(1) // the answer was printed; the exit code carries it
		case !errors.Is(err, flag.ErrHelp):
			fmt.Fprintln(os.Stderr, "gatehouse:", err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errors.New("missing command")
	}
	switch args[0] {
	case "serve":
		cfg, err := parseServeFlags(args[1:])
		if err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return serve(ctx, cfg, stdout, stderr)
	case "policy":
		return policyCommand(args[1:], stdout, stderr)
	case "cli-config":
		return cliConfigCommand(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "gatehouse", version)
		return nil
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	default:
		usage(stderr)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Gatehouse: a self-hosted IAM Identity Center.

Usage:
  gatehouse serve [flags]   run the server (gatehouse serve -h lists the flags)
  gatehouse policy check    validate IAM policy documents (gatehouse policy for details)
  gatehouse policy eval     evaluate a request against policy documents
  gatehouse cli-config      print the AWS CLI configuration for Gatehouse (gatehouse cli-config -h)
  gatehouse version         print the version
`)
}
