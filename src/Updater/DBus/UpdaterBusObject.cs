// SPDX-License-Identifier: Apache-2.0
using Tmds.DBus.Protocol;
using Updater.Daemon;
using Updater.Text;
using Updater.Transport;

namespace Updater.DBus;

/// <summary>
/// The object /io/github/updater/Updater1: dispatches each call of docs/dbus/io.github.updater.Updater1.xml,
/// answers Properties and Introspect, and sends PropertiesChanged and Completed. Argument signatures are checked
/// before anything runs; every call that touches the device runs off the connection's reader (a slow channel
/// server must not stall GetStatus); Install replies once started and reports its end with Completed.
/// Callers are who the bus policy (dist/dbus-1/system.d/) lets through; the caller's unique name is logged.
/// </summary>
internal sealed class UpdaterBusObject : IPathMethodHandler
{
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";

    private readonly DBusConnection _connection;
    private readonly DeviceCalls _calls;
    private readonly OperationState _state;
    private readonly JournalLog _log;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stopping;
    private readonly object _runningGate = new();
    private readonly List<Task> _running = [];

    public UpdaterBusObject(DBusConnection connection, DeviceCalls calls, OperationState state, JournalLog log, TimeProvider time, CancellationToken stopping)
    {
        _connection = connection;
        _calls = calls;
        _state = state;
        _log = log;
        _time = time;
        _stopping = stopping;
        _state.Changed += EmitPropertiesChanged;
    }

    public string Path => UpdaterBus.ObjectPath;

    public bool HandlesChildPaths => false;

    /// <summary>Every call still running (an install, a check): the service waits for them before it exits.</summary>
    public Task DrainAsync()
    {
        lock (_runningGate)
        {
            return Task.WhenAll(_running.ToArray());
        }
    }

    public ValueTask HandleMethodAsync(MethodContext context)
    {
        if (context.IsDBusIntrospectRequest)
        {
            context.ReplyIntrospectXml([InterfaceXml.Fragment, IntrospectionXml.DBusProperties], Array.Empty<string>());
            return default;
        }
        var request = context.Request;
        if (context.IsPropertiesInterfaceRequest)
        {
            HandleProperties(context);
            return default;
        }
        if (request.InterfaceAsString is not (UpdaterBus.Interface or null))
        {
            context.ReplyUnknownMethodError();
            return default;
        }
        switch (request.MemberAsString)
        {
            case "GetStatus" when Signature(context, ""):
                RunAsync(context, null, async ct =>
                {
                    Reply(context, await _calls.StatusAsync(ct).ConfigureAwait(false));
                    return "";
                });
                break;
            case "Check" when Signature(context, ""):
                RunAsync(context, "check", async ct =>
                {
                    Reply(context, await _calls.CheckAsync(ct).ConfigureAwait(false));
                    return "channel checked";
                });
                break;
            case "Mark" when Signature(context, "ss"):
                StartMark(context);
                break;
            case "Rollback" when Signature(context, ""):
                RunAsync(context, "rollback", async ct =>
                {
                    var (bootname, message) = await _calls.RollbackAsync(ct).ConfigureAwait(false);
                    Reply(context, bootname, message);
                    return message;
                });
                break;
            case "Install" when Signature(context, "sa{sv}"):
                StartInstall(context);
                break;
            case "GetStatus" or "Check" or "Mark" or "Rollback" or "Install":
                // Signature() has replied.
                break;
            default:
                context.ReplyUnknownMethodError();
                break;
        }
        return default;
    }

    private void StartMark(MethodContext context)
    {
        var reader = context.Request.GetBodyReader();
        string state = reader.ReadString();
        string slot = reader.ReadString();
        if (state is not ("good" or "bad"))
        {
            context.ReplyError(UpdaterBus.InvalidArgsError, $"Mark: state is '{SafeText.Escape(state, 64)}', expected good or bad");
            return;
        }
        RunAsync(context, "mark", async ct =>
        {
            var (bootname, message) = await _calls.MarkAsync(state == "good", slot, ct).ConfigureAwait(false);
            Reply(context, bootname, message);
            return message;
        });
    }

    private void StartInstall(MethodContext context)
    {
        var reader = context.Request.GetBodyReader();
        string source = reader.ReadString();
        var options = reader.ReadDictionaryOfStringToVariantValue();
        if (InstallArguments.Check(source, options) is { } invalid)
        {
            context.ReplyError(UpdaterBus.InvalidArgsError, $"Install: {invalid}");
            return;
        }
        var request = InstallArguments.Read(options);
        if (!_state.TryBegin("install"))
        {
            context.ReplyError(UpdaterBus.BusyError, $"another operation is running: {_state.Operation}");
            return;
        }
        _log.Info($"install of {SafeUrl.Redact(source)} asked by {Caller(context)}{(request.Verify ? ", verify" : "")}{(request.AllowDowngrade ? ", allow-downgrade" : "")}");
        // The caller learns "started"; the end arrives as Completed, however long the install takes.
        Reply(context);
        Track(Task.Run(async () =>
        {
            string? error = null;
            string message;
            int code = 0;
            try
            {
                message = await _calls.InstallAsync(source, request, new BusProgress(_state, _time), _stopping).ConfigureAwait(false);
                _log.Info(message);
            }
            catch (Exception e)
            {
                (code, message) = Failed("install", e);
                error = message;
            }
            _state.End(error);
            EmitCompleted("install", code, message);
        }));
    }

    /// <summary>
    /// One call off the connection's reader. <paramref name="operation"/> non-null: the call is an operation
    /// (one at a time, in the Operation property, its end in LastError and Completed); null: a read that runs
    /// beside anything. The work replies itself on success and returns the line for Completed.
    /// </summary>
    private void RunAsync(MethodContext context, string? operation, Func<CancellationToken, Task<string>> work)
    {
        if (operation is not null && !_state.TryBegin(operation))
        {
            context.ReplyError(UpdaterBus.BusyError, $"another operation is running: {_state.Operation}");
            return;
        }
        if (operation is not null)
        {
            _log.Info($"{operation} asked by {Caller(context)}");
        }
        context.DisposesAsynchronously = true;
        Track(Task.Run(async () =>
        {
            try
            {
                string message = await work(_stopping).ConfigureAwait(false);
                if (operation is not null)
                {
                    _state.End(null);
                    EmitCompleted(operation, 0, message);
                }
            }
            catch (Exception e)
            {
                var (code, message) = Failed(operation ?? context.Request.MemberAsString ?? "call", e);
                context.ReplyError(UpdaterBus.ErrorName((ExitCode)code), message);
                if (operation is not null)
                {
                    _state.End(message);
                    EmitCompleted(operation, code, message);
                }
            }
            finally
            {
                context.Dispose();
            }
        }));
    }

    private (int Code, string Message) Failed(string what, Exception e)
    {
        var failure = OperationFailure.From(e, _stopping);
        string message = SafeText.Escape(failure.Message);
        if (failure.IsBug)
        {
            // The stack goes to the journal; the caller gets the one line.
            Cli.CliRunner.InternalError(e, Console.Error);
        }
        else
        {
            _log.Error($"{what} failed: {failure.Message}");
        }
        return ((int)failure.Code, message);
    }

    private void Track(Task task)
    {
        lock (_runningGate)
        {
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(task);
        }
    }

    private static bool Signature(MethodContext context, string expected)
    {
        string actual = context.Request.SignatureAsString ?? "";
        if (actual == expected)
        {
            return true;
        }
        context.ReplyError(UpdaterBus.InvalidArgsError, $"{context.Request.MemberAsString} takes ({expected}), not ({SafeText.Escape(actual, 64)})");
        return false;
    }

    private static string Caller(MethodContext context) => SafeText.Escape(context.Request.SenderAsString ?? "an unknown sender", 64);

    private static void Reply(MethodContext context)
    {
        using var writer = context.CreateReplyWriter(null);
        context.Reply(writer.CreateMessage());
    }

    /// <summary>A JSON document: its encoder has escaped every control character already, and its newlines are its own.</summary>
    private static void Reply(MethodContext context, string json)
    {
        using var writer = context.CreateReplyWriter("s");
        writer.WriteString(json);
        context.Reply(writer.CreateMessage());
    }

    private static void Reply(MethodContext context, string first, string second)
    {
        using var writer = context.CreateReplyWriter("ss");
        writer.WriteString(SafeText.Escape(first));
        writer.WriteString(SafeText.Escape(second));
        context.Reply(writer.CreateMessage());
    }

    private void HandleProperties(MethodContext context)
    {
        var request = context.Request;
        var reader = request.GetBodyReader();
        switch (request.MemberAsString)
        {
            case "Get" when request.SignatureAsString == "ss":
            {
                string @interface = reader.ReadString();
                string name = reader.ReadString();
                var all = Properties();
                if (@interface != UpdaterBus.Interface || !all.TryGetValue(name, out var value))
                {
                    context.ReplyError("org.freedesktop.DBus.Error.UnknownProperty", $"no property {SafeText.Escape(@interface, 128)}.{SafeText.Escape(name, 128)}");
                    return;
                }
                using var writer = context.CreateReplyWriter("v");
                writer.WriteVariant(value);
                context.Reply(writer.CreateMessage());
                return;
            }
            case "GetAll" when request.SignatureAsString == "s":
            {
                string @interface = reader.ReadString();
                using var writer = context.CreateReplyWriter("a{sv}");
                writer.WriteDictionary(@interface == UpdaterBus.Interface ? Properties() : []);
                context.Reply(writer.CreateMessage());
                return;
            }
            case "Set":
                context.ReplyError("org.freedesktop.DBus.Error.PropertyReadOnly", "the updater's properties are read-only");
                return;
            default:
                context.ReplyError(UpdaterBus.InvalidArgsError, $"Properties.{SafeText.Escape(request.MemberAsString, 64)} with signature ({SafeText.Escape(request.SignatureAsString, 64)})");
                return;
        }
    }

    private Dictionary<string, VariantValue> Properties()
    {
        var progress = _state.Progress;
        return new Dictionary<string, VariantValue>(StringComparer.Ordinal)
        {
            [nameof(OperationState.Operation)] = VariantValue.String(_state.Operation),
            [nameof(OperationState.Progress)] = VariantValue.Struct(VariantValue.Int32(progress.Percent), VariantValue.String(SafeText.Escape(progress.Phase, 64)),
                VariantValue.Int64(progress.Done), VariantValue.Int64(progress.Total)),
            [nameof(OperationState.LastError)] = VariantValue.String(_state.LastError),
        };
    }

    private void EmitPropertiesChanged(IReadOnlyList<string> names)
    {
        var all = Properties();
        using var writer = _connection.GetMessageWriter();
        writer.WriteSignalHeader(null, UpdaterBus.ObjectPath, PropertiesInterface, "PropertiesChanged", "sa{sv}as");
        writer.WriteString(UpdaterBus.Interface);
        writer.WriteDictionary(names.Select(n => KeyValuePair.Create(n, all[n])));
        writer.WriteArray(Array.Empty<string>());
        _connection.TrySendMessage(writer.CreateMessage());
    }

    private void EmitCompleted(string operation, int code, string message)
    {
        using var writer = _connection.GetMessageWriter();
        writer.WriteSignalHeader(null, UpdaterBus.ObjectPath, UpdaterBus.Interface, "Completed", "sis");
        writer.WriteString(operation);
        writer.WriteInt32(code);
        writer.WriteString(SafeText.Escape(message));
        _connection.TrySendMessage(writer.CreateMessage());
    }
}
