namespace Wuerstchen.Cli;

/// <summary>A bad command-line argument: reported as "<c>{Argument}: {message}</c>" with exit code 2, never with a stack trace.</summary>
public sealed class CliUsageException(string argument, string message) : Exception(message)
{
    public string Argument { get; } = argument;
}
