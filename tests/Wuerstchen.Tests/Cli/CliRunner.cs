using Wuerstchen.Cli;

namespace Wuerstchen.Tests.Cli;

/// <summary>Runs the <c>wuerstchen</c> tool in-process with captured output.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static Result Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = CliApp.Run(args, CliContext.ForWriters(output, error));
        return new Result(exit, output.ToString(), error.ToString());
    }
}
