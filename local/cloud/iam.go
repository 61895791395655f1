package cloud

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"thumbflow/local/asl"
	"thumbflow/local/iam"
	"thumbflow/local/lambda"
	"thumbflow/local/stack"
)

// IAM locally: every function signs with credentials of its own role, and
// the local S3, Step Functions and @connections evaluate that role's
// template policies (local/iam) before they serve it, so a missing grant
// fails here as it would on AWS. The developer's credentials act as the
// account's administrator. docs/local-cloud.md says what is evaluated.

// buildIAM creates the authorizer with the developer as administrator.
func (c *Cloud) buildIAM() {
	c.authz = iam.NewAuthorizer(c.cfg.AccountID)
	c.authz.AddAdmin(c.AccessKeyID, "arn:aws:iam::"+c.cfg.AccountID+":root")
}

// pseudo is what SAM policy templates name.
func (c *Cloud) pseudo() iam.Pseudo {
	return iam.Pseudo{Partition: "aws", Region: c.cfg.Region, AccountID: c.cfg.AccountID}
}

// roleKey gives a function's role a key pair of its own, which the
// verifier accepts and the authorizer binds to the role's policies. A
// function asks once: its handler (or its process) is built once.
func (c *Cloud) roleKey(f *stack.Function) (storedCredentials, error) {
	policies, err := iam.FromStack(f.Policies, c.pseudo())
	if err != nil {
		return storedCredentials{}, c.refusal(f.Resource, "function %s: Policies: %v", f.LogicalID, err)
	}
	key := newCredentials()
	c.verifier.Credentials[key.AccessKeyID] = key.SecretAccessKey
	c.authz.AddRole(key.AccessKeyID, f.RoleARN, policies)
	return key, nil
}

// roleCredentials is roleKey as an SDK credentials provider.
func (c *Cloud) roleCredentials(f *stack.Function) (aws.CredentialsProvider, error) {
	key, err := c.roleKey(f)
	if err != nil {
		return nil, err
	}
	return credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, ""), nil
}

// roleInvoker is how Step Functions calls Lambda: as the state machine's
// role, which needs lambda:InvokeFunction on the function (the template's
// LambdaInvokePolicy). A refusal is the task error Step Functions reports.
type roleInvoker struct {
	lambdas *lambda.Registry
	authz   *iam.Authorizer
	key     string // the role's access key in authz; "" checks nothing
}

func (r *roleInvoker) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	if r.key != "" {
		if err := r.authz.Authorize(r.key, "lambda:InvokeFunction", function, nil); err != nil {
			return nil, &lambda.ServiceError{Name: "Lambda.AWSLambdaException", Cause: err.Error()}
		}
	}
	return r.lambdas.Invoke(ctx, function, payload)
}

var _ asl.Invoker = (*roleInvoker)(nil)

// stateMachineInvoker binds the Lambda invoker to the stack's state
// machine role. The local engine's invoker does not know which machine an
// execution belongs to, so with more than one state machine the roles are
// not evaluated for Lambda calls (documented in docs/local-cloud.md).
func (c *Cloud) stateMachineInvoker() (*roleInvoker, error) {
	inv := &roleInvoker{lambdas: c.Lambdas, authz: c.authz}
	if len(c.Stack.StateMachines) != 1 {
		return inv, nil
	}
	m := c.Stack.StateMachines[0]
	policies, err := iam.FromStack(m.Policies, c.pseudo())
	if err != nil {
		return nil, c.refusal(m.Resource, "state machine %s: Policies: %v", m.LogicalID, err)
	}
	inv.key = fmt.Sprintf("STATES-%s", m.Name)
	c.authz.AddRole(inv.key, m.RoleARN, policies)
	return inv, nil
}
