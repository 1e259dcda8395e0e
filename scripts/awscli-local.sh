#!/usr/bin/env bash
# Plays the AWS CLI against `autopilot local` (issue 15, "other clients"): ECS, ECR, CloudWatch (the
# Query protocol: CLI v2.9 sends form-encoded requests and reads XML), EventBridge, SSM, CloudWatch
# Logs (reading the Lambdas' logs, and writing and reading a stream of one's own) and ELBv2 (tags
# too), printing each command, its exit code and its output. Also played with AWS CLI v1.45
# (botocore 1.43): `AWS_CLI=aws scripts/awscli-local.sh`. Not part of `npm test`: it
# needs a CLI nobody here wrote. Debian 12's `apt-get install awscli` is 2.9.19, which ignores
# AWS_ENDPOINT_URL, so every command carries --endpoint-url.
#
#   scripts/awscli-local.sh                 # /usr/bin/aws, port 4599
#   AWS_CLI=aws PORT=4600 scripts/awscli-local.sh
#
# Exits 1 if a command that should succeed fails (or one that should fail succeeds).
set -u
cd "$(dirname "$0")/.."
AWS_CLI=${AWS_CLI:-/usr/bin/aws}
PORT=${PORT:-4599}
TMP=$(mktemp -d)
export HOME=$TMP AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local \
  AWS_SECRET_ACCESS_KEY=local AWS_PAGER= AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
node bin/autopilot.js local --port "$PORT" --start now --log "$TMP/local.log" >"$TMP/local.out" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 60); do grep -q 'listening' "$TMP/local.out" 2>/dev/null && break; sleep 0.5; done
"$AWS_CLI" --version
failed=0
# ok|fails  args...: runs the CLI, prints the command, its exit code and output.
run() {
  local want=$1
  shift
  echo "\$ aws $*"
  "$AWS_CLI" --endpoint-url "http://127.0.0.1:$PORT" "$@" >"$TMP/out" 2>&1
  local rc=$?
  sed 's/^/  /' "$TMP/out" | head -40
  echo "  -> exit $rc"
  if { [ "$want" = ok ] && [ $rc -ne 0 ]; } || { [ "$want" = fails ] && [ $rc -eq 0 ]; }; then
    echo "  UNEXPECTED (wanted $want)"
    failed=1
  fi
}
NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
AGO=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ)
SOON=$(date -u -d '+2 min' +%Y-%m-%dT%H:%M:%SZ)

# ECS (the demo's prod/web)
run ok ecs list-clusters
run ok ecs describe-services --cluster prod --services web --query 'services[0].deploymentConfiguration'
run ok ecs list-tasks --cluster prod --service-name web
run ok ecs list-services --cluster prod
run ok ecs describe-clusters --clusters prod --include SETTINGS TAGS --query 'clusters[0].{name:clusterName,providers:capacityProviders,settings:settings}'
run ok ecs update-cluster-settings --cluster prod --settings name=containerInsights,value=enhanced --query cluster.settings
run ok ecs list-task-definition-families
run ok ecs describe-task-definition --task-definition web --include TAGS --query '{family:taskDefinition.family,tags:tags}'
run ok ecs list-tags-for-resource --resource-arn arn:aws:ecs:us-east-1:123456789012:cluster/prod
run ok ecs list-attributes --cluster prod --target-type container-instance
run ok ecs describe-capacity-providers --query 'capacityProviders[].[name,status]'
run ok ecs create-capacity-provider --name ec2-asg \
  --auto-scaling-group-provider autoScalingGroupArn=arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/ec2-asg \
  --query capacityProvider.type
run ok ecs describe-capacity-providers --capacity-providers ec2-asg nope --query '{found:capacityProviders[].name,failures:failures}'
run fails ecs put-cluster-capacity-providers --cluster prod --capacity-providers nope --default-capacity-provider-strategy '[]'
run ok ecs register-task-definition --family api --requires-compatibilities FARGATE --network-mode awsvpc \
  --cpu '0.25 vCPU' --memory '0.5 GB' --container-definitions \
  '[{"name":"api","image":"123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1","portMappings":[{"containerPort":8080,"hostPort":0}]}]' \
  --query 'taskDefinition.{cpu:cpu,memory:memory,ports:containerDefinitions[0].portMappings}'
run fails ecs register-task-definition --family bad --container-definitions '[{"name":"a","image":"x","essential":false}]'
run ok ecs create-service --cluster prod --service-name api --task-definition api --desired-count 2 --launch-type FARGATE \
  --network-configuration 'awsvpcConfiguration={subnets=[subnet-1]}' \
  --deployment-configuration 'deploymentCircuitBreaker={enable=true,rollback=true},alarms={alarmNames=[web-5xx],enable=true,rollback=true}' \
  --query 'service.deploymentConfiguration'
run fails ecs update-service --cluster prod --service api --placement-strategy type=spread,field=attribute:ecs.availability-zone
run ok ecs wait services-stable --cluster prod --services api
run ok ecs delete-service --cluster prod --service api --force --query service.status
# ECR
run ok ecr describe-images --repository-name web
run ok ecr get-login-password
run ok ecr put-image --repository-name web --image-tag cli1 --image-manifest \
  '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1,"digest":"sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7"},"layers":[]}' \
  --query image.imageId
# CloudWatch over the Query protocol
run ok cloudwatch describe-alarms --query 'MetricAlarms[].{name:AlarmName,state:StateValue,dims:Dimensions[].Name}'
run ok cloudwatch put-metric-data --namespace Custom --metric-name Q --value 3 --timestamp "$NOW" --dimensions Svc=web
run ok cloudwatch get-metric-statistics --namespace Custom --metric-name Q --dimensions Name=Svc,Value=web \
  --statistics Sum --period 60 --start-time "$AGO" --end-time "$SOON"
run ok cloudwatch put-metric-alarm --alarm-name q-high --namespace Custom --metric-name Q --dimensions Name=Svc,Value=web \
  --statistic Sum --period 60 --evaluation-periods 1 --threshold 1 --comparison-operator GreaterThanThreshold
run ok cloudwatch set-alarm-state --alarm-name q-high --state-value ALARM --state-reason cli
run ok cloudwatch put-composite-alarm --alarm-name comp --alarm-rule 'ALARM("q-high")'
run ok cloudwatch describe-alarms --alarm-types CompositeAlarm --query 'CompositeAlarms[].[AlarmName,StateValue]'
run fails cloudwatch set-alarm-state --alarm-name nope --state-value ALARM --state-reason x
# EventBridge
run ok events list-rules --query 'Rules[].Name'
run ok events put-rule --name mine --event-pattern '{"source":["my.app"]}'
run ok events put-events --entries '[{"Source":"my.app","DetailType":"x","Detail":"{\"a\":1}"}]'
run ok events delete-rule --name mine
# SSM
run ok ssm put-parameter --name /app/a --value one --type String
run ok ssm put-parameter --name /app/a --value two --type String --overwrite
run fails ssm put-parameter --name /app/a --value three --type String
run ok ssm label-parameter-version --name /app/a --parameter-version 1 --labels old
run ok ssm get-parameter --name /app/a:old --query Parameter.Value
run ok ssm get-parameter-history --name /app/a --query 'Parameters[].[Version,Value,Labels[0]]'
run ok ssm get-parameters-by-path --path /app --recursive --query 'Parameters[].Name'
run ok ssm delete-parameters --names /app/a /nope
# CloudWatch Logs (the Lambdas' log groups, and a client's own)
run ok logs describe-log-groups --query 'logGroups[].logGroupName'
run ok logs filter-log-events --log-group-name /aws/lambda/ecs-autopilot-ecrPush --limit 2 --query 'events[].message'
run ok logs create-log-group --log-group-name /cli/app
run ok logs create-log-stream --log-group-name /cli/app --log-stream-name one
run fails logs create-log-stream --log-group-name /cli/app --log-stream-name one
MS=$(( $(date +%s) * 1000 ))
run ok logs put-log-events --log-group-name /cli/app --log-stream-name one --sequence-token ignored \
  --log-events "timestamp=$((MS - 2000)),message=first" "timestamp=$((MS - 1000)),message=second"
run fails logs put-log-events --log-group-name /cli/app --log-stream-name one \
  --log-events "timestamp=$MS,message=b" "timestamp=$((MS - 1)),message=a"
run ok logs get-log-events --log-group-name /cli/app --log-stream-name one --start-from-head --query 'events[].message'
run ok logs describe-log-streams --log-group-name /cli/app --order-by LastEventTime --descending \
  --query 'logStreams[].[logStreamName,lastEventTimestamp]'
run ok logs filter-log-events --log-group-name /cli/app --filter-pattern second --query 'events[].message'
# ELBv2
run ok elbv2 describe-load-balancers --query 'LoadBalancers[].LoadBalancerName'
run ok elbv2 describe-target-groups --names web --query 'TargetGroups[0].TargetGroupName'
TG=$("$AWS_CLI" --endpoint-url "http://127.0.0.1:$PORT" elbv2 describe-target-groups --names web \
  --query 'TargetGroups[0].TargetGroupArn' --output text)
run ok elbv2 add-tags --resource-arns "$TG" --tags Key=team,Value=web
run ok elbv2 describe-tags --resource-arns "$TG" --query 'TagDescriptions[0].Tags'
run ok elbv2 remove-tags --resource-arns "$TG" --tag-keys team
exit $failed
