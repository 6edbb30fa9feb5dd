/**
 * The CDK app (`cdk synth`, `cdk deploy`): the Provisioning Service stack, checked by cdk-nag's
 * AwsSolutions pack on every synthesis. Findings fail the synth; each accepted one is acknowledged
 * with its reason next to the construct it concerns (infra/provisioning-stack.ts, infra/service-function.ts).
 */
import { createProvisioningApp } from './provisioning-stack.js';

const { app } = createProvisioningApp();
app.synth();
